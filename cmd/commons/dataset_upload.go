package main

import (
	"context"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/hashtree"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// uploadBytes is how many bytes of chunks dataset add sends in one upload.
const uploadBytes = 8 << 20

// treeUpload builds the manifest of a tree (SPEC.md §3.8) as its files
// arrive, in key order, and sends its chunks to the daemon as they are
// built, in uploads of uploadBytes, so that neither side holds the whole
// list. Until the tree proves to have more than protocol.ManifestThreshold files
// it keeps the files and the chunks here instead: a small tree is
// published as a record that lists its files, as every node reads.
type treeUpload struct {
	ctx    context.Context
	c      *api.Client
	always bool // --manifest: name a manifest whatever the tree's size

	b       *manifest.Builder
	files   []api.FileEntry // the files, while they may still be listed in the record
	frames  []byte          // chunks built and not yet sent
	count   int64           // files added
	sending bool            // past protocol.ManifestThreshold: chunks go to the daemon
	sent    int             // chunks sent
	stats   uploadStats
}

// uploadStats is what dataset add says of the manifest it sent: chunks and
// bytes sent, and those the daemon did not hold before. A new version of a
// dataset sends every chunk, and the daemon stores only those it lacks.
type uploadStats struct {
	Chunks    int   `json:"chunks"`
	Bytes     int64 `json:"bytes"`
	NewChunks int   `json:"new_chunks"`
	NewBytes  int64 `json:"new_bytes"`
}

func newTreeUpload(ctx context.Context, c *api.Client, always bool) *treeUpload {
	u := &treeUpload{ctx: ctx, c: c, always: always}
	u.b = manifest.NewBuilder(u.put)
	return u
}

func (u *treeUpload) put(_ manifest.ChunkID, chunk []byte) error {
	u.stats.Bytes += int64(len(chunk))
	u.frames = api.AppendChunkFrame(u.frames, chunk)
	if u.sending && len(u.frames) >= uploadBytes {
		return u.flush()
	}
	return nil
}

// add adds the next file, in key order.
func (u *treeUpload) add(f hashtree.File) error {
	d, err := protocol.ParseDigest(f.SHA256)
	if err != nil {
		return protocol.E("dataset add", protocol.Other, "file %q: %w", f.Name, err)
	}
	if err := u.b.Add(manifest.Entry{Path: f.Name, Size: f.Size, Digest: d}); err != nil {
		return err
	}
	u.count++
	if u.sending {
		return nil
	}
	u.files = append(u.files, api.FileEntry(f))
	if u.always || u.count > protocol.ManifestThreshold {
		u.sending, u.files = true, nil
		if len(u.frames) >= uploadBytes {
			return u.flush()
		}
	}
	return nil
}

// flush sends the chunks built since the last upload.
func (u *treeUpload) flush() error {
	if len(u.frames) == 0 {
		return nil
	}
	res, err := u.c.PutChunks(u.ctx, u.frames)
	if err != nil {
		return err
	}
	if len(res.Refused) > 0 {
		r := res.Refused[0]
		kind, _ := api.KindNamed(r.Kind)
		return protocol.E("dataset add", kind, "the daemon refused %d chunks of the manifest, the first (chunk %d of upload): %s", len(res.Refused), u.sent+r.Index, r.Error)
	}
	u.sent += res.Chunks
	u.stats.Chunks += res.Chunks
	u.stats.NewChunks += res.New
	u.stats.NewBytes += res.Bytes
	u.frames = u.frames[:0]
	return nil
}

// finish ends the tree: for a small tree, the files the record lists;
// otherwise the manifest, every chunk of it sent.
func (u *treeUpload) finish() ([]api.FileEntry, *protocol.ManifestRef, error) {
	root, err := u.b.Root()
	if err != nil {
		return nil, nil, err
	}
	if !u.sending {
		return u.files, nil, nil
	}
	if err := u.flush(); err != nil {
		return nil, nil, err
	}
	return nil, &protocol.ManifestRef{Root: root.ID.ID(), Count: root.Count, Bytes: root.Bytes}, nil
}
