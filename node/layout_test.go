package node_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/commons-p2p/commons"

// layers lists every package of the module with the packages of the module
// its code (tests aside) may import: the arrows run cmd → node → store →
// protocol, and a package never imports the package it sits in. A new
// package, or a new arrow, is added here on purpose.
var layers = map[string][]string{
	"protocol":              {},
	"protocol/protocoltest": {"protocol"},
	"protocol/gov":          {"protocol"},
	"protocol/manifest":     {"protocol"},
	"protocol/license":      {},
	"protocol/credit":       {"protocol"},
	"store":                 {"protocol", "protocol/manifest", "protocol/credit"},
	"store/storetest":       {"protocol", "store"},
	"node/apiserver":        {"protocol", "node/api", "node/explorer"},
	"node/explorer":         {"protocol"},
	"node/api":              {"protocol", "protocol/gov", "protocol/manifest"},
	"node/repo":             {"protocol"},
	"node/fetch":            {"protocol", "protocol/manifest"},
	"node/p2p":              {"protocol"},
	"node/hashtree":         {"protocol", "protocol/manifest"},
	"node/creditview":       {"protocol", "protocol/credit", "protocol/gov", "store", "node/api"},
	"node/metrics":          {"protocol", "protocol/gov", "store"},
	"node/export":           {"protocol", "protocol/manifest", "store", "node/api"},
	"node/answer":           {"protocol", "protocol/gov", "store", "node/api"},
	"node/bundle":           {"protocol", "protocol/gov", "protocol/manifest", "store", "node/api", "node/answer", "node/creditview", "node/licence"},
	"node/swarm/govsync":    {"protocol", "protocol/gov", "node/fetch", "node/p2p"},
	"node/swarm":            {"protocol", "protocol/gov", "protocol/manifest", "store", "node/fetch", "node/p2p", "node/metrics", "node/swarm/govsync"},
	"node/licence":          {"protocol", "protocol/license", "store", "node/api"},
	"node": {"protocol", "protocol/gov", "protocol/manifest", "store", "node/api", "node/repo", "node/fetch", "node/p2p",
		"node/metrics", "node/swarm", "node/swarm/govsync", "node/apiserver", "node/export", "node/licence", "node/creditview", "node/answer", "node/bundle"},
	"cmd/commons":               {"protocol", "protocol/gov", "node", "node/api", "node/repo", "node/hashtree", "node/p2p", "protocol/manifest", "protocol/license", "node/bundle"},
	"testnet":                   {"protocol", "protocol/gov", "node", "node/api", "node/repo"},
	"testnet/cmd/gov-latency":   {"testnet", "node/api"},
	"testnet/cmd/announce":      {"testnet"},
	"testnet/cmd/idle-rss":      {"testnet"},
	"testnet/cmd/latency":       {"testnet", "node/api"},
	"testnet/cmd/rss":           {"testnet"},
	"testnet/cmd/dataset-scale": {"testnet"},
	"testnet/cmd/swarm":         {"testnet"},
	"testnet/faults":            {"protocol", "protocol/gov", "node/api", "node/repo", "node/fetch", "node/p2p", "testnet"},
	"testnet/cmd/faults":        {"testnet", "testnet/faults"},
	"testnet/sim":               {},
	"testnet/cmd/sim":           {"protocol", "node/api", "node/p2p", "testnet", "testnet/sim"},
	// The explorer's browser tests: their Go is all tests (of the binary,
	// through testnet) and scripts run by Node.js.
	"node/explorer/browsertest": {},
}

// importedBy are arrows that must exist: the HTTP contract is the one the
// server, the client and the CLI speak.
var importedBy = map[string][]string{
	"node/api": {"node/apiserver", "node", "cmd/commons", "testnet"},
}

// TestLayout: every package's imports within the module follow layers, and
// no package is missing from it.
func TestLayout(t *testing.T) {
	got := moduleImports(t, "..")
	for _, pkg := range slices.Sorted(maps.Keys(got)) {
		allowed, ok := layers[pkg]
		if !ok {
			t.Errorf("package %s is not in the layers of node/layout_test.go: say what it may import", pkg)
			continue
		}
		for _, imp := range got[pkg] {
			if !slices.Contains(allowed, imp) {
				t.Errorf("%s imports %s, an arrow the layers do not allow", pkg, imp)
			}
		}
	}
	for pkg := range layers {
		if _, ok := got[pkg]; !ok {
			t.Errorf("the layers list %s, which is not in the module", pkg)
		}
	}
	for dep, users := range importedBy {
		for _, u := range users {
			if !slices.Contains(got[u], dep) {
				t.Errorf("%s does not import %s", u, dep)
			}
		}
	}
}

// moduleImports returns, for each package directory under root (relative,
// slash-separated), the module packages its non-test files import.
func moduleImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		for _, s := range f.Imports {
			p, err := strconv.Unquote(s.Path.Value)
			if err != nil {
				return err
			}
			if dep, ok := strings.CutPrefix(p, module+"/"); ok && !slices.Contains(out[pkg], dep) {
				out[pkg] = append(out[pkg], dep)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("%s is not the module's root: %v", root, err)
	}
	return out
}

// TestSecurityRowsNameRealTests: every test that a row of SPEC.md §10 names
// after a package ("node/swarm, TestBudgetWatermark, …") is a test of that
// package, so that the list of attacks and what stops them stays true when
// code moves.
func TestSecurityRowsNameRealTests(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join("..", "SPEC.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(spec), "\n## §10")
	if !ok {
		t.Fatal("SPEC.md has no §10")
	}
	tests := moduleTests(t, "..")
	rows := 0
	for line := range strings.SplitSeq(sec, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			continue
		}
		for part := range strings.SplitSeq(cells[len(cells)-2], ";") {
			pkg, names, ok := strings.Cut(strings.TrimSpace(part), ",")
			if _, known := tests[pkg]; !ok || !known {
				continue
			}
			rows++
			for _, name := range testNames.FindAllString(names, -1) {
				if !tests[pkg][name] {
					t.Errorf("SPEC §10 names %s in %s, which has no such test: %q", name, pkg, strings.TrimSpace(part))
				}
			}
		}
	}
	if rows < 50 {
		t.Errorf("read %d package references in SPEC §10; the table's form changed?", rows)
	}
}

var testNames = regexp.MustCompile(`\b(?:Test|Fuzz)[A-Z0-9]\w*`)

// moduleTests returns, for each package directory under root, the names of
// the tests and fuzz targets its _test.go files declare.
func moduleTests(t *testing.T, root string) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		if out[pkg] == nil {
			out[pkg] = map[string]bool{}
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && testNames.MatchString(fn.Name.Name) {
				out[pkg][fn.Name.Name] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
