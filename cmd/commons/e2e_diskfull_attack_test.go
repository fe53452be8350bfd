package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
	"github.com/commons-p2p/commons/testnet"
)

// TestDaemonOnFullDisk runs the daemon on a small filesystem (a 128 MiB
// tmpfs; root only, skipped otherwise) and fills it with datasets: the
// daemon stays up (no SIGBUS in Badger's memory-mapped logs), `dataset
// add` fails with "disk full", reads answer, writes resume once space is
// freed without a restart, and a daemon started on the full disk serves
// reads and every dataset acknowledged before.
func TestDaemonOnFullDisk(t *testing.T) {
	mnt := storetest.SmallFilesystem(t)
	repo := filepath.Join(mnt, "repo")
	testnet.RunJSON(t, &idJSON{}, "init", "--repo", repo, "--json")
	files := map[string]string{}
	// Records that list their files (at most protocol.ManifestThreshold), each
	// a new record of some hundred kilobytes: a manifest's chunks would be
	// stored once for all the adds of one tree.
	for i := range 900 {
		files[fmt.Sprintf("part-%04d.csv", i)] = fmt.Sprintf("row %d", i)
	}
	tree := testnet.WriteTree(t, files)
	d := testnet.Start(t, repo)

	free, _, err := store.FreeSpace(mnt)
	if err != nil {
		t.Fatal(err)
	}
	ballast := filepath.Join(mnt, "ballast")
	storetest.Ballast(t, ballast, int64(free)-store.Headroom-4<<20)

	add := func(name string) testnet.Result {
		return testnet.Run(t, nil, "--repo", repo, "--json", "dataset", "add", tree, "--name", name, "--license", "CC0-1.0")
	}
	var acked []string
	for i := 0; ; i++ {
		if i == 1000 {
			t.Fatal("1000 datasets stored on a 128 MiB filesystem and never a refusal for lack of space")
		}
		r := add(fmt.Sprintf("fill %d", i))
		if r.Code != 0 {
			select {
			case <-d.Exited():
				t.Fatalf("the daemon died on a full disk (%v):\n%s", d.State(), d.Stderr())
			default:
			}
			msg := testnet.RunFails(t, nil, []string{"disk full", filepath.Join(repo, "data"), "bytes free"}, "--repo", repo, "dataset", "add", tree, "--name", "refused", "--license", "CC0-1.0")
			t.Logf("%d datasets stored, then: %s", len(acked), strings.TrimSpace(msg.Stderr))
			break
		}
		var p publishedJSON
		r.Decode(t, &p)
		acked = append(acked, p.ID)
	}
	if len(acked) == 0 {
		t.Fatal("the first write was refused: the ballast left no room at all")
	}
	show := func(when string) {
		t.Helper()
		for _, id := range acked {
			if r := testnet.Run(t, nil, "--repo", repo, "--json", "dataset", "show", id); r.Code != 0 {
				t.Fatalf("dataset show %s %s: %s", id, when, r)
			}
		}
	}
	show("on a full disk")

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	r := add("after freeing space")
	if r.Code != 0 {
		t.Fatalf("dataset add once space is freed, same daemon: %s", r)
	}
	var p publishedJSON
	r.Decode(t, &p)
	acked = append(acked, p.ID)
	if code := d.Stop(t); code != 0 {
		t.Fatalf("daemon exit code %d:\n%s", code, d.Stderr())
	}

	// Full to the last page, but for the few KiB of the daemon's own
	// files (its API address and token).
	storetest.Ballast(t, ballast, -1)
	if err := os.Truncate(ballast, max(0, fileSize(t, ballast)-1<<20)); err != nil {
		t.Fatal(err)
	}
	d = testnet.Start(t, repo)
	show("after a restart on a full disk")
	testnet.RunFails(t, nil, []string{"disk full"}, "--repo", repo, "dataset", "add", tree, "--name", "still full", "--license", "CC0-1.0")
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if r := add("reopened"); r.Code != 0 {
		t.Fatalf("dataset add once space is freed after a start on a full disk: %s", r)
	}
	show("after the store reopened for writing")
	select {
	case <-d.Exited():
		t.Fatalf("the daemon exited:\n%s", d.Stderr())
	default:
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
