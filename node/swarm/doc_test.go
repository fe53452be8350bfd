package swarm

import (
	"go/build"
	"slices"
	"testing"
)

// TestImports holds the package doc's promise: the swarm imports neither
// the node that owns it nor HTTP.
func TestImports(t *testing.T) {
	for _, tags := range [][]string{nil, {"linux"}, {"darwin"}} {
		ctx := build.Default
		ctx.BuildTags = tags
		pkg, err := ctx.ImportDir(".", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"github.com/commons-p2p/commons/node", "github.com/commons-p2p/commons/node/api", "net/http"} {
			if slices.Contains(pkg.Imports, bad) {
				t.Errorf("package swarm imports %s", bad)
			}
		}
	}
}
