package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
	"github.com/commons-p2p/commons/testnet"
)

// TestObjectPutPoisoning is the attack with nothing but the CLI: two copies
// of a dataset, each with 31 extra valid signatures by throwaway keys, sent
// with `commons object put`, used to leave an envelope that every read of
// the dataset refused, across restarts. The copies are accepted without
// their meaningless signatures, and every read works before and after a
// restart.
func TestObjectPutPoisoning(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	d := testnet.Start(t, repo)
	r := func(args ...string) []string { return append(args, "--repo", repo, "--json") }

	var ds publishedJSON
	testnet.RunJSON(t, &ds, r("dataset", "add", testnet.WriteTree(t, map[string]string{"a.txt": "a"}), "--name", "birds", "--license", "CC0-1.0")...)
	got := testnet.Run(t, nil, r("object", "get", ds.ID)...)
	if got.Code != 0 {
		t.Fatal(got)
	}
	for _, prefix := range []string{"first", "second"} {
		env, err := protocol.DecodeEnvelope([]byte(got.Stdout))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range storetest.Keys(t, prefix, 31) {
			k.Sign(env)
		}
		var res api.PutResult
		put := testnet.Run(t, env.Encode(), r("object", "put", "-")...)
		if put.Code != 0 {
			t.Fatalf("object put, %s copy:\n%s", prefix, put)
		}
		put.Decode(t, &res)
		if res.Signers != 1 {
			t.Errorf("%s copy: %+v, want the publisher's signature alone", prefix, res)
		}
	}

	reads := func(when string) {
		t.Helper()
		obj := testnet.Run(t, nil, r("object", "get", ds.ID)...)
		if obj.Code != 0 {
			t.Fatalf("%s: object get:\n%s", when, obj)
		}
		if _, err := protocol.VerifyObject([]byte(strings.TrimSpace(obj.Stdout))); err != nil {
			t.Errorf("%s: object get prints an envelope a receiver refuses: %v", when, err)
		}
		var shown datasetJSON
		testnet.RunJSON(t, &shown, r("dataset", "show", ds.ID)...)
		var list []struct {
			ID string `json:"id"`
		}
		testnet.RunJSON(t, &list, r("dataset", "list")...)
		if shown.ID != ds.ID || len(list) != 1 || list[0].ID != ds.ID {
			t.Errorf("%s: dataset show %+v, list %+v", when, shown, list)
		}
	}
	reads("before a restart")
	if code := d.Stop(t); code != 0 {
		t.Fatalf("daemon exit %d", code)
	}
	testnet.Start(t, repo)
	reads("after a restart")
}
