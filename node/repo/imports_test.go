package repo

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The package keeps the repo's files and nothing else (doc.go): of
// commons it imports protocol alone, and it never imports an HTTP or a
// peer-to-peer stack.
func TestImportsNeitherStoreNorNetwork(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	const commons = "github.com/commons-p2p/commons/"
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case strings.HasPrefix(path, commons) && path != commons+"protocol",
				path == "net/http",
				strings.HasPrefix(path, "github.com/libp2p/") && !strings.HasPrefix(path, "github.com/libp2p/go-libp2p/core/"),
				path == "github.com/libp2p/go-libp2p/core/host", path == "github.com/libp2p/go-libp2p/core/network":
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}
