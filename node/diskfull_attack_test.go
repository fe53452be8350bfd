package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// diskNode serves a node whose store is in dir over HTTP.
type diskNode struct {
	st  *store.Store
	srv *httptest.Server
}

func openDiskNode(t *testing.T, r *repo.Repo) *diskNode {
	t.Helper()
	st, err := store.Open(store.Options{Dir: r.DataDir()})
	if err != nil {
		t.Fatalf("open the store: %v", err)
	}
	n := New(r, st, nil)
	return &diskNode{st: st, srv: httptest.NewServer(n.Handler(""))}
}

func (d *diskNode) close(t *testing.T) {
	d.srv.Close()
	if err := d.st.Close(); err != nil {
		t.Errorf("close the store: %v", err)
	}
}

// addDataset posts a dataset of files file entries and returns the status
// and the body.
func (d *diskNode) addDataset(t *testing.T, name string, files int) (int, []byte) {
	t.Helper()
	req := api.AddDatasetRequest{Name: name, License: "CC-BY-4.0"}
	for i := range files {
		req.Files = append(req.Files, fileEntry(fmt.Sprintf("%s/part-%05d.csv", name, i), fmt.Sprintf("%s %d", name, i)))
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(d.srv.URL+"/v1/datasets", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (d *diskNode) get(t *testing.T, id protocol.ID) int {
	t.Helper()
	resp, err := http.Get(d.srv.URL + "/v1/objects/" + id.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// wantDiskFull checks a refusal for lack of space: 507, kind "no space",
// and a message that says "disk full" with the store's filesystem.
func wantDiskFull(t *testing.T, code int, body []byte, dir string) {
	t.Helper()
	var eb api.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil || code != http.StatusInsufficientStorage || eb.Kind != protocol.NoSpace.String() {
		t.Fatalf("write on a full disk: status %d, body %s; want 507 and kind %q", code, body, protocol.NoSpace)
	}
	if !strings.Contains(eb.Error, "disk full") || !strings.Contains(eb.Error, dir) || !strings.Contains(eb.Error, "bytes free") {
		t.Errorf("error %q does not say disk full, the filesystem %s and the free bytes", eb.Error, dir)
	}
}

// TestFullDisk fills the store's filesystem: writes are refused with 507
// before Badger would write into a page the filesystem cannot allocate
// (SIGBUS, the process dies), reads go on, every acknowledged object is
// there after a restart, writes resume by themselves once space is freed,
// and a restart on a full disk opens the store read-only.
func TestFullDisk(t *testing.T) {
	mnt := storetest.SmallFilesystem(t)
	r, err := repo.Init(filepath.Join(mnt, "repo"), repo.InitOptions{APIAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	d := openDiskNode(t, r)
	free, _, err := store.FreeSpace(mnt)
	if err != nil {
		t.Fatal(err)
	}
	// Leave a few MiB above the store's headroom, then feed it.
	ballastPath := filepath.Join(mnt, "ballast")
	storetest.Ballast(t, ballastPath, int64(free)-store.Headroom-6<<20)

	var acked []protocol.ID
	var refused []byte
	for i := 0; refused == nil; i++ {
		if i == 200 {
			t.Fatalf("200 datasets stored and never a refusal for lack of space")
		}
		code, body := d.addDataset(t, fmt.Sprintf("fill-%03d", i), 2000)
		switch code {
		case http.StatusOK, http.StatusCreated:
			var p api.Published
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			acked = append(acked, p.ID)
		default:
			wantDiskFull(t, code, body, r.DataDir())
			refused = body
		}
	}
	t.Logf("%d datasets stored before the refusal", len(acked))
	if len(acked) == 0 {
		t.Fatal("the first write was refused: the ballast left no room at all")
	}
	for _, id := range acked {
		if code := d.get(t, id); code != http.StatusOK {
			t.Fatalf("read %s on a full disk: status %d", id, code)
		}
	}

	// Space freed: writes resume without a restart.
	if err := os.Remove(ballastPath); err != nil {
		t.Fatal(err)
	}
	code, body := d.addDataset(t, "after-free", 10)
	if code != http.StatusOK && code != http.StatusCreated {
		t.Fatalf("write once space is freed: status %d, body %s", code, body)
	}
	var p api.Published
	json.Unmarshal(body, &p)
	acked = append(acked, p.ID)
	d.close(t)

	// A restart on a disk filled to the last block opens read-only.
	storetest.Ballast(t, ballastPath, -1)
	d = openDiskNode(t, r)
	if !d.st.ReadOnly() {
		t.Error("the store on a full disk did not open read-only")
	}
	for _, id := range acked {
		if code := d.get(t, id); code != http.StatusOK {
			t.Fatalf("read %s after a restart on a full disk: status %d", id, code)
		}
	}
	code, body = d.addDataset(t, "still-full", 10)
	wantDiskFull(t, code, body, r.DataDir())
	// The node's own files on that disk: a new key is refused alike.
	resp, err := http.Post(d.srv.URL+"/v1/keys", "application/json", strings.NewReader(`{"name":"alice"}`))
	if err != nil {
		t.Fatal(err)
	}
	var eb api.ErrorBody
	json.NewDecoder(resp.Body).Decode(&eb)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInsufficientStorage || eb.Kind != protocol.NoSpace.String() || !strings.Contains(eb.Error, "disk full") {
		t.Errorf("a new key on a full disk: %d %+v, want 507, kind %q, disk full", resp.StatusCode, eb, protocol.NoSpace)
	}

	// Space freed again: the store reopens for writing by itself.
	if err := os.Remove(ballastPath); err != nil {
		t.Fatal(err)
	}
	code, body = d.addDataset(t, "reopened", 10)
	if code != http.StatusOK && code != http.StatusCreated {
		t.Fatalf("write once space is freed after a read-only start: status %d, body %s", code, body)
	}
	if d.st.ReadOnly() {
		t.Error("the store is still read-only after a write succeeded")
	}
	for _, id := range acked {
		if code := d.get(t, id); code != http.StatusOK {
			t.Fatalf("read %s after reopening for writing: status %d", id, code)
		}
	}
	d.close(t)
}
