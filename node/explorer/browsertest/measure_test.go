package browsertest

// The explorer's weight and speed, for docs/PERFORMANCE.md ("Explorer"):
//
//	COMMONS_LONG=1 go test -run TestMeasureExplorer -v -timeout 30m ./node/explorer/browsertest/

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node"
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

// TestMeasureExplorer publishes a dataset of 10,000 files (by `commons
// dataset add`, so its files are behind a manifest) with a lineage of 500
// datasets around it (250 ancestors over three generations, 249
// descendants over three), then reports the weight of the dataset page
// (HTML, JS and CSS as served gzip-compressed) and, in Chromium, the time
// from navigation to a usable page (body[data-ready=1]: data shown and
// signatures checked) and to the graph drawn, against the time the same
// API calls take alone from the same page (measure.mjs). Goals: < 500 KB
// and < 1 s.
func TestMeasureExplorer(t *testing.T) {
	if os.Getenv("COMMONS_LONG") != "1" {
		t.Skip("a measurement: COMMONS_LONG=1")
	}
	browserTools(t)
	t.Logf("machine: %s", testnet.Machine())
	dir := filepath.Join(t.TempDir(), "repo")
	testnet.Start(t, dir)
	c, err := node.NewClient(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()

	n := 0
	add := func(parents ...protocol.ID) protocol.ID {
		t.Helper()
		n++
		body := "dataset " + strconv.Itoa(n)
		d := sha256.Sum256([]byte(body))
		p, err := c.AddDataset(ctx, api.AddDatasetRequest{Name: fmt.Sprintf("lineage dataset %03d", n), License: "CC-BY-4.0",
			Parents: parents, Files: []api.FileEntry{{Name: "data.txt", SHA256: hex.EncodeToString(d[:]), Size: int64(len(body))}}})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	// Ancestors: 5 parents, each of 7 grandparents, each of 6 great-grandparents.
	var parents []protocol.ID
	for range 5 {
		var gps []protocol.ID
		for range 7 {
			var ggps []protocol.ID
			for range 6 {
				ggps = append(ggps, add())
			}
			gps = append(gps, add(ggps...))
		}
		parents = append(parents, add(gps...))
	}
	files := make(map[string]string, 10000)
	for i := range 10000 {
		files[fmt.Sprintf("shard-%02d/file-%05d.txt", i/500, i)] = "row " + strconv.Itoa(i) + "\n"
	}
	tree := testnet.WriteTree(t, files)
	args := []string{"dataset", "add", tree, "--name", "ten thousand files", "--license", "CC-BY-4.0", "--repo", dir}
	for _, p := range parents {
		args = append(args, "--parent", p.String())
	}
	var subject api.Published
	testnet.RunJSON(t, &subject, append(args, "--json")...)
	// Descendants: 9 children, each of 9 grandchildren, and 159
	// great-grandchildren spread over those.
	var kids, grandkids []protocol.ID
	for range 9 {
		kids = append(kids, add(subject.ID))
	}
	for i := range 81 {
		grandkids = append(grandkids, add(kids[i/9]))
	}
	for i := range 159 {
		add(grandkids[i%81])
	}
	t.Logf("published 500 datasets in %s", time.Since(start).Round(time.Millisecond))
	origin := "http://" + c.Addr()
	pagePath := "/dataset/" + subject.ID.String()

	var lin struct {
		Nodes     []json.RawMessage `json:"nodes"`
		Truncated bool              `json:"truncated"`
	}
	getJSON(t, origin+"/v1/lineage/"+subject.ID.String()+"?local=1", &lin)
	if len(lin.Nodes) != 500 || lin.Truncated {
		t.Fatalf("the lineage has %d nodes (truncated %v), want 500", len(lin.Nodes), lin.Truncated)
	}

	weight(t, origin, pagePath)
	runScript(t, "measure.mjs", origin, "COMMONS_PAGE="+pagePath)
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("GET %s: %s %s", u, res.Status, b)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

var assetRef = regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`)

// weight fetches the page shell and every asset it names as a browser
// would (Accept-Encoding: gzip) and logs the bytes on the wire and
// uncompressed.
func weight(t *testing.T, origin, page string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(p string) (wire, plain int, body []byte) {
		req, _ := http.NewRequest("GET", origin+p, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %s", p, res.Status)
		}
		body = raw
		if res.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(zr)
		} else {
			t.Logf("%s is served uncompressed", p)
		}
		return len(raw), len(body), body
	}
	wire, plain, html := get(page)
	t.Logf("weight %-22s %7d B on the wire, %7d B uncompressed", page[:min(len(page), 22)], wire, plain)
	totalWire, totalPlain := wire, plain
	for _, m := range assetRef.FindAllStringSubmatch(string(html), -1) {
		w, p, _ := get(m[1])
		t.Logf("weight %-22s %7d B on the wire, %7d B uncompressed", m[1], w, p)
		totalWire += w
		totalPlain += p
	}
	t.Logf("weight of the dataset page: %.1f KB on the wire (gzip), %.1f KB uncompressed; goal < 500 KB",
		float64(totalWire)/1000, float64(totalPlain)/1000)
}
