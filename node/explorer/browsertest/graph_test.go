package browsertest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestGraphStandalone draws a 500-node lineage with assets/graph.js and
// assets/vendor.js on a page served under the explorer's CSP, and checks
// in Chromium that it is layered by depth, opens a node on click and on
// Enter, is walkable by keyboard, shows hostile names as text, passes
// axe-core, fits a phone and is destroyed cleanly (graph.mjs).
func TestGraphStandalone(t *testing.T) {
	browserTools(t)
	mux := http.NewServeMux()
	mux.Handle("/assets/", http.StripPrefix("/assets/", http.FileServer(http.Dir("../assets"))))
	mux.Handle("/testdata/", http.StripPrefix("/testdata/", http.FileServer(http.Dir("testdata"))))
	srv := httptest.NewServer(secured(mux))
	defer srv.Close()
	runScript(t, "graph.mjs", srv.URL)
}
