package govsync

import (
	"go/build"
	"slices"
	"testing"
)

// TestImports holds the package doc's promise: sync imports neither the
// node nor the store, nor HTTP; the swarm owns it, not the other way.
func TestImports(t *testing.T) {
	pkg, err := build.Default.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"github.com/commons-p2p/commons/node",
		"github.com/commons-p2p/commons/node/swarm",
		"github.com/commons-p2p/commons/node/api",
		"github.com/commons-p2p/commons/store",
		"net/http",
	} {
		if slices.Contains(pkg.Imports, bad) {
			t.Errorf("package govsync imports %s", bad)
		}
	}
}
