package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// TestObjectPutPoisoning is the attack with nothing but the CLI: two copies
// of a dataset, each with 31 extra valid signatures by throwaway keys, sent
// with `commons object put`, used to leave an envelope that every read of
// the dataset refused, across restarts. The copies are accepted without
// their meaningless signatures, and every read works before and after a
// restart.
func TestObjectPutPoisoning(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	d := startDaemon(t, repo)
	r := func(args ...string) []string { return append(args, "--repo", repo, "--json") }

	var ds publishedJSON
	ok(t, &ds, r("dataset", "add", writeTree(t, map[string]string{"a.txt": "a"}), "--name", "birds", "--license", "CC0-1.0")...)
	got := commons(t, nil, r("object", "get", ds.ID)...)
	if got.code != 0 {
		t.Fatal(got)
	}
	for _, prefix := range []string{"first", "second"} {
		env, err := protocol.DecodeEnvelope([]byte(got.stdout))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range storetest.Keys(t, prefix, 31) {
			k.Sign(env)
		}
		var res api.PutResult
		put := commons(t, env.Encode(), r("object", "put", "-")...)
		if put.code != 0 {
			t.Fatalf("object put, %s copy:\n%s", prefix, put)
		}
		oneJSON(t, put.stdout, &res)
		if res.Signers != 1 {
			t.Errorf("%s copy: %+v, want the publisher's signature alone", prefix, res)
		}
	}

	reads := func(when string) {
		t.Helper()
		obj := commons(t, nil, r("object", "get", ds.ID)...)
		if obj.code != 0 {
			t.Fatalf("%s: object get:\n%s", when, obj)
		}
		if _, err := protocol.VerifyObject([]byte(strings.TrimSpace(obj.stdout))); err != nil {
			t.Errorf("%s: object get prints an envelope a receiver refuses: %v", when, err)
		}
		var shown datasetJSON
		ok(t, &shown, r("dataset", "show", ds.ID)...)
		var list []struct {
			ID string `json:"id"`
		}
		ok(t, &list, r("dataset", "list")...)
		if shown.ID != ds.ID || len(list) != 1 || list[0].ID != ds.ID {
			t.Errorf("%s: dataset show %+v, list %+v", when, shown, list)
		}
	}
	reads("before a restart")
	if code := d.stop(t); code != 0 {
		t.Fatalf("daemon exit %d", code)
	}
	startDaemon(t, repo)
	reads("after a restart")
}
