package gov_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestPackageStaysPure checks what the package doc promises: package gov
// does no I/O, reads no clock, starts no goroutine and imports nothing of
// this module but protocol; and protocol does not import gov.
func TestPackageStaysPure(t *testing.T) {
	const module = "github.com/commons-p2p/commons/"
	forbidden := []string{"os", "io/fs", "net", "log", "crypto/rand", "math/rand", "math/rand/v2", "runtime"}
	for _, file := range goFiles(t, ".") {
		f := parse(t, file)
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case slices.Contains(forbidden, path) || strings.HasPrefix(path, "net/") || strings.HasPrefix(path, "log/"):
				t.Errorf("%s imports %s", file, path)
			case strings.HasPrefix(path, module) && path != module+"protocol":
				t.Errorf("%s imports %s: gov imports nothing of the module but protocol", file, path)
			case strings.HasPrefix(path, "github.com/libp2p/"):
				t.Errorf("%s imports %s", file, path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: starts a goroutine", file)
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && x.Name == "time" && slices.Contains([]string{"Now", "Since", "Until", "Sleep", "After", "AfterFunc", "NewTimer", "NewTicker", "Tick"}, n.Sel.Name) {
					t.Errorf("%s: reads the clock or waits (time.%s)", file, n.Sel.Name)
				}
			}
			return true
		})
	}
	for _, file := range goFiles(t, "..") {
		for _, imp := range parse(t, file).Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == module+"protocol/gov" {
				t.Errorf("%s imports protocol/gov: the arrow goes one way, gov → protocol", file)
			}
		}
	}
}

// goFiles returns the Go files of dir that are not tests.
func goFiles(t *testing.T, dir string) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(all) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	var out []string
	for _, f := range all {
		if !strings.HasSuffix(f, "_test.go") {
			out = append(out, f)
		}
	}
	return out
}

func parse(t *testing.T, file string) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
