package apiserver

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports holds the package doc's promise: the server reaches neither
// the node, the store, the swarm nor libp2p, directly or through another
// package.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"github.com/commons-p2p/commons/node", "github.com/commons-p2p/commons/store", "github.com/commons-p2p/commons/node/swarm", "github.com/libp2p/"} {
			if dep == bad || strings.HasPrefix(bad, "github.com/libp2p/") && strings.HasPrefix(dep, bad) {
				t.Errorf("package apiserver depends on %s", dep)
			}
		}
	}
}
