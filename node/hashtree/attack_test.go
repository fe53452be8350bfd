package hashtree

// Attacks on the user's own files through `dataset add`: a tree whose
// links lead out of it (to /etc/shadow, /proc/self/environ), hidden files
// and version-control directories published unasked, and files that block
// on read or are swapped for a pipe between the walk and the open.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// noHang runs f and fails the test if it has not returned after a long
// while: a read that blocks forever would otherwise hold the test until
// go test's own timeout.
func noHang[T any](t *testing.T, what string, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: still blocked after 30s", what)
		panic("unreachable")
	}
}

type treeResult struct {
	tree Tree
	err  error
}

func hashTreeNoHang(t *testing.T, root string, opts TreeOptions) (Tree, error) {
	t.Helper()
	r := noHang(t, "hashing "+root, func() treeResult {
		tree, err := HashTree(context.Background(), root, opts)
		return treeResult{tree, err}
	})
	return r.tree, r.err
}

func wantRefused(t *testing.T, err error, kind protocol.Kind, says ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one saying %q", says)
	}
	if got := protocol.KindOf(err); got != kind {
		t.Errorf("kind = %v, want %v (%v)", got, kind, err)
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
}

func names(files []File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
}

// A link out of the tree is refused by default, naming the link and where
// it points; --follow-links publishes what it points to.
func TestTreeLinkOutOfRootRefused(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "shadow")
	writeTestFile(t, secret, []byte("ab"))
	writeTestFile(t, filepath.Join(outside, "dir", "inner"), []byte("inner"))
	for _, tt := range []struct {
		name, target string
		want         map[string]string // with FollowLinks: dataset name → content
	}{
		{"absolute link to a file", secret, map[string]string{"leak": "ab"}},
		{"relative link to a file", filepath.Join("..", "..", filepath.Base(outside), "shadow"), map[string]string{"leak": "ab"}},
		{"link to a directory", filepath.Join(outside, "dir"), map[string]string{"leak/inner": "inner"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.Join(filepath.Dir(outside), "tree-"+strings.ReplaceAll(tt.name, " ", "-"))
			writeTestFile(t, filepath.Join(root, "sub", "ok.txt"), []byte("ok"))
			t.Cleanup(func() { os.RemoveAll(root) })
			link := filepath.Join(root, "sub", "leak")
			symlink(t, tt.target, link)
			target, err := filepath.EvalSymlinks(link)
			if err != nil {
				t.Fatal(err)
			}

			_, err = hashTreeNoHang(t, root, TreeOptions{})
			wantRefused(t, err, protocol.Invalid, `symbolic link "`+link+`" points outside the tree, to "`+target+`"`, "--follow-links")

			tree, err := hashTreeNoHang(t, root, TreeOptions{FollowLinks: true})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"sub/ok.txt": "ok"}
			for name, content := range tt.want {
				want["sub/"+name] = content
			}
			if len(tree.Files) != len(want) {
				t.Fatalf("got %q, want %d files", names(tree.Files), len(want))
			}
			for _, f := range tree.Files {
				if c, ok := want[f.Name]; !ok || f.SHA256 != sumHex([]byte(c)) || f.Size != int64(len(c)) {
					t.Errorf("%s: %s/%d, want the content %q", f.Name, f.SHA256, f.Size, c)
				}
			}
		})
	}
}

// A link to /proc/self/environ published a digest of the CLI's
// environment: refused as a link out of the tree, and with --follow-links
// refused still, since the file reads more than the 0 bytes it reports.
func TestTreeLinkToEnvironRefused(t *testing.T) {
	const environ = "/proc/self/environ"
	if _, err := os.Stat(environ); err != nil {
		t.Skip("no", environ)
	}
	root := t.TempDir()
	writeTestFile(t, filepath.Join(root, "ok.txt"), []byte("ok"))
	symlink(t, environ, filepath.Join(root, "env"))

	_, err := hashTreeNoHang(t, root, TreeOptions{})
	wantRefused(t, err, protocol.Invalid, `"`+filepath.Join(root, "env")+`" points outside the tree, to "/proc/`)

	_, err = hashTreeNoHang(t, root, TreeOptions{FollowLinks: true})
	wantRefused(t, err, protocol.Invalid, "/environ", "reports 0 bytes but reading it gave more")

	// Named directly, as a single file or to derive, it is refused alike.
	_, _, err = HashFile(environ)
	wantRefused(t, err, protocol.Invalid, "reports 0 bytes but reading it gave more")
}

// Links inside the tree are followed to files and directories inside it;
// a link back into a directory that contains it is a loop, and a chain of
// links that never ends does not resolve: both refused, neither hangs.
func TestTreeLinkLoop(t *testing.T) {
	t.Run("followed inside", func(t *testing.T) {
		root := t.TempDir()
		writeTestFile(t, filepath.Join(root, "d", "f"), []byte("f"))
		symlink(t, "d", filepath.Join(root, "alias"))
		symlink(t, "../d/f", filepath.Join(root, "e", "g"))
		tree, err := hashTreeNoHang(t, root, TreeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := names(tree.Files), []string{"alias/f", "d/f", "e/g"}; !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	for _, tt := range []struct {
		name   string
		setup  func(t *testing.T, root string)
		opts   TreeOptions
		expect []string
	}{
		{"link to an ancestor", func(t *testing.T, root string) {
			symlink(t, "..", filepath.Join(root, "a", "up"))
		}, TreeOptions{}, []string{`a/up" leads back to "`, "a loop"}},
		{"link to the root", func(t *testing.T, root string) {
			symlink(t, ".", filepath.Join(root, "self"))
		}, TreeOptions{}, []string{`self" leads back to "`, "a loop"}},
		{"two directories linking to each other", func(t *testing.T, root string) {
			symlink(t, "../b", filepath.Join(root, "a", "to-b"))
			symlink(t, "../a", filepath.Join(root, "b", "to-a"))
		}, TreeOptions{}, []string{"leads back to", "a loop"}},
		{"loop through a link out of the tree", func(t *testing.T, root string) {
			symlink(t, root, filepath.Join(root, "..", filepath.Base(root)+"-out", "back"))
			symlink(t, filepath.Join(root, "..", filepath.Base(root)+"-out"), filepath.Join(root, "out"))
		}, TreeOptions{FollowLinks: true}, []string{`back" leads back to "`, "a loop"}},
		{"chain of links", func(t *testing.T, root string) {
			symlink(t, "y", filepath.Join(root, "x"))
			symlink(t, "x", filepath.Join(root, "y"))
		}, TreeOptions{}, []string{`x" to "y" does not resolve`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTestFile(t, filepath.Join(root, "a", "f"), []byte("f"))
			tt.setup(t, root)
			_, err := hashTreeNoHang(t, root, tt.opts)
			wantRefused(t, err, protocol.Invalid, tt.expect...)
		})
	}
}

// Dotfiles and version-control directories are skipped and reported; a
// link into them is skipped too; IncludeHidden publishes them all.
func TestTreeHiddenSkipped(t *testing.T) {
	root := t.TempDir()
	for name, content := range map[string]string{
		"data.csv":         "1,2\n",
		"sub/keep.txt":     "keep",
		".env":             "TOKEN=secret",
		".DS_Store":        "finder",
		".git/config":      "[remote]",
		".git/HEAD":        "ref",
		"sub/.cache/blob":  "cached",
		"sub/CVS/Entries":  "cvs",
		"_darcs/prefs":     "darcs",
		"sub/CVS.txt":      "a file, not the directory",
		"sub/.hg/requires": "hg",
	} {
		writeTestFile(t, filepath.Join(root, filepath.FromSlash(name)), []byte(content))
	}
	symlink(t, ".git/config", filepath.Join(root, "config-link"))

	tree, err := hashTreeNoHang(t, root, TreeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(tree.Files), []string{"data.csv", "sub/CVS.txt", "sub/keep.txt"}; !slices.Equal(got, want) {
		t.Errorf("published %q, want %q", got, want)
	}
	// Walk order: the entries of a directory by name, depth first.
	want := Skipped{Hidden: 3, VCS: 5, Paths: []string{".DS_Store", ".env", ".git/", "_darcs/", "config-link", "sub/.cache/", "sub/.hg/", "sub/CVS/"}}
	if got := tree.Skipped; got.Hidden != want.Hidden || got.VCS != want.VCS || !slices.Equal(got.Paths, want.Paths) {
		t.Errorf("skipped %+v, want %+v", got, want)
	}

	tree, err = hashTreeNoHang(t, root, TreeOptions{IncludeHidden: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Files) != 12 || tree.Skipped.Total() != 0 {
		t.Errorf("with IncludeHidden: %q, skipped %+v; want all 12 files", names(tree.Files), tree.Skipped)
	}
}

// More skipped entries than MaxSkippedShown: all counted, the first shown.
func TestTreeSkippedCounted(t *testing.T) {
	root := t.TempDir()
	writeTestFile(t, filepath.Join(root, "f"), nil)
	for i := range 20 {
		writeTestFile(t, filepath.Join(root, "."+string(rune('a'+i))), nil)
	}
	tree, err := hashTreeNoHang(t, root, TreeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tree.Skipped.Hidden != 20 || len(tree.Skipped.Paths) != MaxSkippedShown || tree.Skipped.Paths[0] != ".a" {
		t.Errorf("skipped %+v, want 20 counted and the first %d shown", tree.Skipped, MaxSkippedShown)
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skip("no mkfifo:", err)
	}
}

// A FIFO in the tree, or linked from it, or named directly, is refused and
// never opened for reading: nothing waits for a writer.
func TestTreeFIFORefused(t *testing.T) {
	root := t.TempDir()
	writeTestFile(t, filepath.Join(root, "ok"), nil)
	mkfifo(t, filepath.Join(root, "pipe"))
	_, err := hashTreeNoHang(t, root, TreeOptions{})
	wantRefused(t, err, protocol.Invalid, `pipe" is a named pipe`)

	outside := t.TempDir()
	mkfifo(t, filepath.Join(outside, "pipe"))
	root = t.TempDir()
	symlink(t, filepath.Join(outside, "pipe"), filepath.Join(root, "data"))
	_, err = hashTreeNoHang(t, root, TreeOptions{FollowLinks: true})
	wantRefused(t, err, protocol.Invalid, `data" is a symbolic link to a named pipe`)

	r := noHang(t, "HashFile of a link to a FIFO", func() error { _, _, err := HashFile(filepath.Join(root, "data")); return err })
	wantRefused(t, r, protocol.Invalid, `data" is a named pipe`)
}

// A file the walk listed, then replaced by a FIFO, a link or another file
// before it is opened: refused, and the FIFO not waited on.
func TestTreeFileSwappedAfterWalk(t *testing.T) {
	for _, tt := range []struct {
		name   string
		swap   func(t *testing.T, path string)
		kind   protocol.Kind
		expect string
	}{
		{"fifo", func(t *testing.T, p string) { mkfifo(t, p) }, protocol.Invalid, `f" is a named pipe`},
		{"link", func(t *testing.T, p string) { symlink(t, "/etc/passwd", p) }, protocol.Transient, `f" became a symbolic link after it was listed`},
		{"another file", func(t *testing.T, p string) { writeTestFile(t, p, []byte("other")) }, protocol.Transient, `f" was replaced by another file after it was listed`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			p := filepath.Join(root, "f")
			writeTestFile(t, p, []byte("listed"))
			// The swap happens when the walk is over, before the first
			// file is hashed: Stream reports the walk's end first.
			swapped := false
			swap := func(pr Progress) {
				if !pr.Listed || swapped {
					return
				}
				swapped = true
				// The old file is kept open, so that its inode is not reused.
				keep, err := os.Open(p)
				if err != nil {
					t.Error(err)
					return
				}
				t.Cleanup(func() { keep.Close() })
				if err := os.Remove(p); err != nil {
					t.Error(err)
					return
				}
				tt.swap(t, p)
			}
			err := noHang(t, "hashing a swapped file", func() error {
				_, err := Stream(context.Background(), root, TreeOptions{Workers: 1}, swap, func(File) error { return nil })
				return err
			})
			if !swapped {
				t.Fatal("the file was not swapped: no progress reported at the end of the walk")
			}
			wantRefused(t, err, tt.kind, tt.expect)
		})
	}
}

// cancelAfter is a context that reports itself cancelled from its n-th
// check on: cancellation arrives while a hash is under way, at a point
// the test controls, with no clock involved.
type cancelAfter struct {
	context.Context
	n atomic.Int64
}

func (c *cancelAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// Cancelling stops the hash of a large file within a read or a window,
// through the read path and the mapped one.
func TestHashCancelledMidFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sparse")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 << 30 // sparse: no disk taken, but minutes to hash
	if err := f.Truncate(size); err != nil {
		f.Close()
		t.Skip("no sparse file of 64 GiB here:", err)
	}
	f.Close()
	ctx := &cancelAfter{Context: context.Background()}
	ctx.n.Store(4)
	r := noHang(t, "a cancelled hash", func() error { _, _, err := HashFileContext(ctx, p); return err })
	if !errors.Is(r, context.Canceled) {
		t.Fatalf("got %v, want the hash cancelled", r)
	}

	buf := make([]byte, hashBufSize)
	rf, err := openRegular(p, fileID{})
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	ctx.n.Store(4)
	if _, _, err := hashRead(ctx, rf, size, buf); !errors.Is(err, context.Canceled) {
		t.Fatalf("read path: got %v, want the hash cancelled", err)
	}
	if runtime.GOOS == "linux" {
		ctx.n.Store(4)
		if _, ok, err := hashMapped(ctx, rf, size); ok && !errors.Is(err, context.Canceled) {
			t.Fatalf("mapped path: got %v, want the hash cancelled", err)
		}
	}
}

// A kernel file that blocks on read (/proc/kmsg, readable by root) is
// refused rather than waited on. Reading it takes the kernel messages it
// returns from the system log's reader, so it runs only when asked:
// COMMONS_TEST_KMSG=1.
func TestTreeLinkToKmsgDoesNotHang(t *testing.T) {
	if os.Getenv("COMMONS_TEST_KMSG") != "1" {
		t.Skip("COMMONS_TEST_KMSG=1 runs it (as root; it consumes kernel messages)")
	}
	root := t.TempDir()
	symlink(t, "/proc/kmsg", filepath.Join(root, "kmsg"))
	_, err := hashTreeNoHang(t, root, TreeOptions{FollowLinks: true})
	if err == nil {
		t.Fatal("got no error, want /proc/kmsg refused")
	}
	t.Log(err)
}

// Two names that are one path in NFC, or a file that is in NFC a
// directory of another path, cannot both be listed: refused before any
// file is hashed, naming both.
func TestStreamRefusesNFCClash(t *testing.T) {
	nfc, nfd := "\u00e9", "e\u0301"
	for _, tt := range []struct {
		name  string
		files []string
		says  []string
	}{
		{"one file twice", []string{"d/" + nfc, "d/" + nfd, "d/ok"}, []string{`paths "d/` + nfd + `" and "d/` + nfc + `" are one path in Unicode NFC ("d/e\u0301" and "d/\u00e9")`}},
		{"a file and a directory", []string{nfc, nfd + "/x", "ok"}, []string{`path "` + nfc + `" is a file, and in Unicode NFC a directory of path "` + nfd + `/x"`}},
		{"a file and a deeper directory", []string{"a/" + nfc, "a/" + nfd + "/b/c"}, []string{`path "a/` + nfc + `" is a file`, `directory of path "a/` + nfd + `/b/c"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, name := range tt.files {
				writeTestFile(t, filepath.Join(root, filepath.FromSlash(name)), []byte("x"))
			}
			for _, runBytes := range []int{0, 1} { // in memory, and one run per path
				emitted := 0
				_, err := Stream(context.Background(), root, TreeOptions{RunBytes: runBytes}, nil, func(File) error { emitted++; return nil })
				wantRefused(t, err, protocol.Invalid, tt.says...)
				if emitted != 0 {
					t.Errorf("RunBytes %d: %d files emitted before the refusal, want none", runBytes, emitted)
				}
			}
			if _, err := HashTree(context.Background(), root, TreeOptions{}); protocol.KindOf(err) != protocol.Invalid {
				t.Errorf("HashTree: got %v, want the clash refused", err)
			}
		})
	}
}

// Links inside a tree that multiply it (each level linking twice to the
// next: 2^k paths from k levels) stop at MaxFiles directories rather than
// walk, sort and hash without end.
func TestStreamLinksMultiplyBounded(t *testing.T) {
	root := t.TempDir()
	const levels = 20 // 2^20 paths to the last level's file
	for i := range levels {
		dir := filepath.Join(root, fmt.Sprintf("l%02d", i))
		symlink(t, fmt.Sprintf("../l%02d", i+1), filepath.Join(dir, "x"))
		symlink(t, fmt.Sprintf("../l%02d", i+1), filepath.Join(dir, "y"))
	}
	writeTestFile(t, filepath.Join(root, fmt.Sprintf("l%02d", levels), "f"), []byte("f"))
	r := noHang(t, "a tree of links that multiply it", func() error {
		_, err := Stream(context.Background(), root, TreeOptions{MaxFiles: 5000}, nil, func(File) error { return nil })
		return err
	})
	wantRefused(t, r, protocol.Invalid, "the tree has over 5000 directories, counting those reached through links")
}
