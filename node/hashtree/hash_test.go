package hashtree

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

func writeTestFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func sumHex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestHashTree(t *testing.T) {
	root := t.TempDir()
	big := make([]byte, 3*hashBufSize+17) // spans several reads
	for i := range big {
		big[i] = byte(i * 7)
	}
	contents := map[string][]byte{
		"b.txt":         []byte("bee\n"),
		"a/z.csv":       []byte("1,2,3\n"),
		"a.txt":         []byte("ay\n"), // sorts before a/z.csv: '.' < '/'
		".hidden":       []byte("kept too\n"),
		"empty":         {},
		"sub/dir/big":   big,
		"sub/ünïcødé":   []byte("utf-8 names pass\n"),
		"sub/spaces ok": []byte("x"),
	}
	for name, b := range contents {
		writeTestFile(t, filepath.Join(root, filepath.FromSlash(name)), b)
	}
	if err := os.Mkdir(filepath.Join(root, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("b.txt", filepath.Join(root, "link-to-b")); err != nil {
		t.Fatal(err)
	}
	contents["link-to-b"] = contents["b.txt"]

	for _, workers := range []int{1, 2, 8, 0} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			tree, err := HashTree(context.Background(), root, TreeOptions{Workers: workers, IncludeHidden: true})
			if err != nil {
				t.Fatal(err)
			}
			got, total := tree.Files, tree.Bytes
			want := []string{".hidden", "a.txt", "a/z.csv", "b.txt", "empty", "link-to-b", "sub/dir/big", "sub/spaces ok", "sub/ünïcødé"}
			var names []string
			var wantTotal int64
			for _, f := range got {
				names = append(names, f.Name)
				b := contents[f.Name]
				if f.SHA256 != sumHex(b) || f.Size != int64(len(b)) {
					t.Errorf("%s: got %s/%d, want %s/%d", f.Name, f.SHA256, f.Size, sumHex(b), len(b))
				}
				wantTotal += int64(len(b))
			}
			if strings.Join(names, "|") != strings.Join(want, "|") {
				t.Errorf("names:\n got %q\nwant %q", names, want)
			}
			if total != wantTotal {
				t.Errorf("total = %d, want %d", total, wantTotal)
			}
		})
	}
}

func TestHashLargeFile(t *testing.T) {
	// Over hashMapMin and across several windows: the mapped path on Linux.
	big := make([]byte, 2*hashMapWindow+hashMapMin+123)
	for i := range big {
		big[i] = byte(i>>12 ^ i)
	}
	p := filepath.Join(t.TempDir(), "big.bin")
	writeTestFile(t, p, big)
	d, n, err := HashFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Hex() != sumHex(big) || n != int64(len(big)) {
		t.Errorf("got %s/%d, want %s/%d", d.Hex(), n, sumHex(big), len(big))
	}
}

// A file that shrinks under the mapping faults; that must be an error, not
// a crash.
func TestHashMappedShrunk(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("files are mapped on Linux only")
	}
	p := filepath.Join(t.TempDir(), "shrinks")
	writeTestFile(t, p, make([]byte, 3*hashMapMin))
	f, err := openRegular(p, fileID{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.Truncate(p, 4096); err != nil {
		t.Fatal(err)
	}
	_, ok, err := hashMapped(context.Background(), f, 3*hashMapMin)
	if !ok || err == nil || !strings.Contains(err.Error(), "shrank while it was being hashed") {
		t.Fatalf("got ok=%v err=%v, want an error saying the file shrank", ok, err)
	}
}

func TestHashTreeSingleFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.bin")
	writeTestFile(t, p, []byte("weights"))
	tree, err := HashTree(context.Background(), p, TreeOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	got, total := tree.Files, tree.Bytes
	if len(got) != 1 || got[0].Name != "model.bin" || got[0].SHA256 != sumHex([]byte("weights")) || got[0].Size != 7 || total != 7 {
		t.Fatalf("got %+v, %d", got, total)
	}
}

func TestHashTreeRootIsLink(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "real", "f"), []byte("f"))
	if err := os.Symlink("real", filepath.Join(dir, "alias")); err != nil {
		t.Fatal(err)
	}
	tree, err := HashTree(context.Background(), filepath.Join(dir, "alias"), TreeOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := tree.Files; len(got) != 1 || got[0].Name != "f" {
		t.Fatalf("got %+v, want the one file behind the link", got)
	}
}

func TestHashTreeRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, root string) string // returns the path to hash
		kind  protocol.Kind
		msg   string // must appear in the error
	}{
		{"missing", func(t *testing.T, root string) string { return filepath.Join(root, "nope") }, protocol.NotFound, `nope" does not exist`},
		{"fifo", func(t *testing.T, root string) string {
			writeTestFile(t, filepath.Join(root, "ok"), nil)
			if err := syscall.Mkfifo(filepath.Join(root, "pipe"), 0o644); err != nil {
				t.Skip("no mkfifo:", err)
			}
			return root
		}, protocol.Invalid, `pipe" is a named pipe`},
		{"fifo given directly", func(t *testing.T, root string) string {
			if err := syscall.Mkfifo(filepath.Join(root, "pipe"), 0o644); err != nil {
				t.Skip("no mkfifo:", err)
			}
			return filepath.Join(root, "pipe")
		}, protocol.Invalid, `pipe" is a named pipe`},
		{"dangling link", func(t *testing.T, root string) string {
			if err := os.Symlink("gone", filepath.Join(root, "dangling")); err != nil {
				t.Fatal(err)
			}
			return root
		}, protocol.Invalid, `dangling" is a symbolic link to nothing ("gone")`},
		{"backslash in name", func(t *testing.T, root string) string {
			writeTestFile(t, filepath.Join(root, `a\b`), nil)
			return root
		}, protocol.Invalid, "backslash"},
		{"control character in name", func(t *testing.T, root string) string {
			writeTestFile(t, filepath.Join(root, "bell\a"), nil)
			return root
		}, protocol.Invalid, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.setup(t, t.TempDir())
			tree, err := HashTree(context.Background(), p, TreeOptions{Workers: 2})
			if err == nil {
				t.Fatalf("got %+v, want an error", tree.Files)
			}
			if got := protocol.KindOf(err); got != tt.kind {
				t.Errorf("kind = %v, want %v (%v)", got, tt.kind, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

func TestHashTreeCancelled(t *testing.T) {
	root := t.TempDir()
	writeTestFile(t, filepath.Join(root, "f"), []byte("x"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := HashTree(ctx, root, TreeOptions{Workers: 1}); err == nil {
		t.Fatal("hashing went on after the context was cancelled")
	}
}

func TestHashFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.csv")
	writeTestFile(t, p, []byte("a,b\n"))
	d, n, err := HashFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if d != protocol.SumDigest([]byte("a,b\n")) || n != 4 {
		t.Errorf("got %s/%d", d, n)
	}
	_, _, err = HashFile(filepath.Join(dir, "missing.csv"))
	if protocol.KindOf(err) != protocol.NotFound || !strings.Contains(err.Error(), `missing.csv" does not exist`) {
		t.Errorf("missing file: got %v, want not found naming it", err)
	}
	_, _, err = HashFile(dir)
	if protocol.KindOf(err) != protocol.Invalid || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: got %v, want invalid", err)
	}
}

// Benchmarks: HashTree against crypto/sha256 on the same bytes, both as
// they sit in memory and as read from the same files. Run with
//
//	go test ./node/hashtree -run '^$' -bench 'HashTree|SHA256Raw' -benchtime 5x -count 3
//
// The files are freshly written and stay in the page cache, so these
// measure hashing and the kernel's per-file costs, not the disk.

type benchCorpus struct {
	name  string
	files int
	size  int
}

var benchCorpora = []benchCorpus{
	{"large-4x64MiB", 4, 64 << 20},
	{"small-2000x64KiB", 2000, 64 << 10},
}

// benchDir writes corpus c into a temporary directory of b. Benchmarks
// that use b.Loop run their function once, so this happens once per run.
func benchDir(b *testing.B, c benchCorpus) string {
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, c.size)
	for i := range c.files {
		for j := 0; j+8 <= len(buf); j += 8 {
			binary.LittleEndian.PutUint64(buf[j:], rng.Uint64())
		}
		writeTestFile(b, filepath.Join(dir, fmt.Sprintf("d%02d", i%50), fmt.Sprintf("f%05d", i)), buf)
	}
	return dir
}

func BenchmarkHashTree(b *testing.B) {
	for _, c := range benchCorpora {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", c.name, workers), func(b *testing.B) {
				dir := benchDir(b, c)
				b.SetBytes(int64(c.files * c.size))
				for b.Loop() {
					tree, err := HashTree(context.Background(), dir, TreeOptions{Workers: workers})
					if err != nil || len(tree.Files) != c.files {
						b.Fatal(len(tree.Files), err)
					}
				}
			})
		}
	}
}

func BenchmarkSHA256Raw(b *testing.B) {
	for _, c := range benchCorpora {
		// crypto/sha256 over the same bytes, already in memory (one buffer
		// per file, as on disk): the ceiling.
		b.Run(c.name+"/memory", func(b *testing.B) {
			paths := benchPaths(b, benchDir(b, c))
			bufs := make([][]byte, len(paths))
			for i, p := range paths {
				var err error
				if bufs[i], err = os.ReadFile(p); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(c.files * c.size))
			for b.Loop() {
				for _, buf := range bufs {
					sha256.Sum256(buf)
				}
			}
		})
		// The plainest way to hash the same files: os.ReadFile, then Sum256.
		b.Run(c.name+"/readfile", func(b *testing.B) {
			paths := benchPaths(b, benchDir(b, c))
			b.SetBytes(int64(c.files * c.size))
			for b.Loop() {
				for _, p := range paths {
					data, err := os.ReadFile(p)
					if err != nil {
						b.Fatal(err)
					}
					sha256.Sum256(data)
				}
			}
		})
	}
}

func benchPaths(b *testing.B, dir string) []string {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return paths
}
