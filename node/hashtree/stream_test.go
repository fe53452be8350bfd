package hashtree

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// streamAll runs Stream and returns what it emitted.
func streamAll(ctx context.Context, t *testing.T, root string, opts TreeOptions) ([]File, Summary, error) {
	t.Helper()
	var files []File
	sum, err := Stream(ctx, root, opts, nil, func(f File) error {
		files = append(files, f)
		return nil
	})
	return files, sum, err
}

// referenceTree hashes a tree of plain files and directories the simplest
// way: every file read whole, the list sorted by key.
func referenceTree(t *testing.T, root string) []File {
	t.Helper()
	var files []File
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		sum := sha256.Sum256(b)
		files = append(files, File{Name: filepath.ToSlash(rel), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b))})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(manifest.Key(a.Name), manifest.Key(b.Name)) })
	return files
}

// Files come out in the order of their keys, NFC bytewise, which is
// neither the walk's nor the raw names': "a.txt" before "a/z" ('.' <
// '/'), and "e" + U+0301 (NFD, as macOS spells é) after "f", since its key
// is U+00E9. Names keep their spelling.
func TestStreamOrder(t *testing.T) {
	root := t.TempDir()
	nfd := "e\u0301" // é in NFD: bytes 65 cc 81, key c3 a9
	for _, name := range []string{"a/z", "a.txt", "b/" + nfd + "/x", "b/f", "b/" + nfd + ".txt", "\u00e8", "f", nfd, "z/" + nfd + "z"} {
		writeTestFile(t, filepath.Join(root, filepath.FromSlash(name)), []byte(name))
	}
	files, sum, err := streamAll(context.Background(), t, root, TreeOptions{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.txt", "a/z", "b/f", "b/" + nfd + ".txt", "b/" + nfd + "/x", "f", "z/" + nfd + "z", "\u00e8", nfd}
	if got := names(files); !slices.Equal(got, want) {
		t.Errorf("order:\n got %+q\nwant %+q", got, want)
	}
	if ref := referenceTree(t, root); !slices.Equal(files, ref) {
		t.Errorf("Stream gave %+v\nthe reference %+v", files, ref)
	}
	if sum.Files != int64(len(want)) || sum.Bytes != sizes(files) {
		t.Errorf("summary %+v, want %d files of %d bytes", sum, len(want), sizes(files))
	}
}

func sizes(files []File) int64 {
	var n int64
	for _, f := range files {
		n += f.Size
	}
	return n
}

// A tree larger than a run: the paths go through files of TempDir and a
// merge, and come out as from memory; the files are gone afterwards.
func TestStreamSpills(t *testing.T) {
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		name := fmt.Sprintf("%c%d/%c-%d", 'a'+rng.IntN(5), rng.IntN(4), 'a'+rng.IntN(26), i)
		if i%7 == 0 {
			name += "\u0301" // NFD here and there
		}
		b := make([]byte, rng.IntN(3000))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		writeTestFile(t, filepath.Join(root, filepath.FromSlash(name)), b)
	}
	symlink(t, "a0", filepath.Join(root, "link-to-a0")) // disk paths that are not the names'
	ref := referenceTree(t, root)
	linked := referenceTree(t, filepath.Join(root, "a0"))
	for i := range linked {
		linked[i].Name = "link-to-a0/" + linked[i].Name
	}
	ref = append(ref, linked...)
	slices.SortFunc(ref, func(a, b File) int { return strings.Compare(manifest.Key(a.Name), manifest.Key(b.Name)) })

	tmp := t.TempDir()
	for _, runBytes := range []int{1, 100, 4096, 0} {
		t.Run(fmt.Sprintf("RunBytes=%d", runBytes), func(t *testing.T) {
			runs := -1
			var files []File
			_, err := Stream(context.Background(), root, TreeOptions{RunBytes: runBytes, TempDir: tmp, Workers: 4}, nil, func(f File) error {
				if runs < 0 {
					runs = countRuns(t, tmp)
				}
				files = append(files, f)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(files, ref) {
				t.Errorf("got %d files, want the reference's %d, in its order", len(files), len(ref))
			}
			if runBytes > 0 && runs < 2 || runBytes == 0 && runs != 0 {
				t.Errorf("%d runs written while hashing", runs)
			}
			if left := countRuns(t, tmp); left != 0 {
				t.Errorf("%d runs left behind", left)
			}
			t.Logf("%d runs", runs)
		})
	}
}

// countRuns counts the run files under dir, and fails if dir holds
// anything but Stream's directories of runs.
func countRuns(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		if d.IsDir() && !strings.HasPrefix(d.Name(), "commons-hashtree-") {
			t.Errorf("%s in the temporary directory", p)
		}
		if !d.IsDir() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Whatever stops Stream — a refusal in the walk after runs were written,
// an error of emit, a cancelled context — it removes its runs.
func TestStreamRemovesRunsOnError(t *testing.T) {
	root := t.TempDir()
	for i := range 50 {
		writeTestFile(t, filepath.Join(root, fmt.Sprintf("f%02d", i)), []byte{byte(i)})
	}
	stop := errors.New("the consumer gave up")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T)
		ctx   context.Context
		emit  func(File) error
		want  error // nil: any refusal
	}{
		{"refused in the walk", func(t *testing.T) { mkfifo(t, filepath.Join(root, "zz-pipe")) }, context.Background(), func(File) error { return nil }, nil},
		{"emit fails", func(*testing.T) {}, context.Background(), func(f File) error {
			if f.Name == "f10" {
				return stop
			}
			return nil
		}, stop},
		{"cancelled", func(*testing.T) {}, ctx, func(f File) error {
			if f.Name == "f10" {
				cancel()
			}
			return nil
		}, context.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(filepath.Join(root, "zz-pipe"))
			tt.setup(t)
			tmp := t.TempDir()
			emitted := 0
			_, err := Stream(tt.ctx, root, TreeOptions{RunBytes: 64, TempDir: tmp}, nil, func(f File) error {
				emitted++
				if emitted == 1 && countRuns(t, tmp) < 2 {
					t.Error("no runs written")
				}
				return tt.emit(f)
			})
			if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if tt.want != nil && emitted != 11 {
				t.Errorf("%d files emitted, want 11: nothing after the one that stopped it", emitted)
			}
			if left := countRuns(t, tmp); left != 0 {
				t.Errorf("%d runs left behind", left)
			}
			entries, _ := os.ReadDir(tmp)
			if len(entries) != 0 {
				t.Errorf("%d entries left in the temporary directory", len(entries))
			}
		})
	}
}

// Progress is reported with totals that are final once the walk is over,
// and at the end with every file hashed.
func TestStreamProgress(t *testing.T) {
	root := t.TempDir()
	var want int64
	for i := range 40 {
		writeTestFile(t, filepath.Join(root, fmt.Sprintf("f%02d", i)), bytes.Repeat([]byte{'x'}, i))
		want += int64(i)
	}
	var seen []Progress
	sum, err := Stream(context.Background(), root, TreeOptions{}, func(p Progress) { seen = append(seen, p) }, func(File) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 2 {
		t.Fatalf("progress %+v, want the walk's end and the end", seen)
	}
	listed := slices.IndexFunc(seen, func(p Progress) bool { return p.Listed })
	if listed < 0 || seen[listed] != (Progress{TotalFiles: 40, TotalBytes: want, Listed: true}) {
		t.Errorf("progress %+v, want one with the walk over and nothing hashed", seen)
	}
	if last := seen[len(seen)-1]; last != (Progress{Files: 40, Bytes: want, TotalFiles: 40, TotalBytes: want, Listed: true}) {
		t.Errorf("last progress %+v, want every file hashed", last)
	}
	if sum.Files != 40 || sum.Bytes != want {
		t.Errorf("summary %+v", sum)
	}
}

// MaxFiles bounds the files, and the directories counting those reached
// through links.
func TestStreamMaxFiles(t *testing.T) {
	root := t.TempDir()
	for i := range 5 {
		writeTestFile(t, filepath.Join(root, fmt.Sprintf("f%d", i)), nil)
	}
	_, _, err := streamAll(context.Background(), t, root, TreeOptions{MaxFiles: 4})
	wantRefused(t, err, protocol.Invalid, "the tree has over 4 files")
	if _, _, err := streamAll(context.Background(), t, root, TreeOptions{MaxFiles: 5}); err != nil {
		t.Fatal(err)
	}
}
