package api

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// Paging of a dataset's files (GET /v1/datasets/{id}?after=PATH&limit=N).
const (
	DefaultFilesLimit = 1000   // files in a page when the request does not say
	MaxFilesLimit     = 10_000 // the most one page holds
)

// MaxChunksBody bounds one upload of manifest chunks (POST /v1/chunks); a
// client sends a larger manifest in several uploads.
const MaxChunksBody = 64 << 20

// ChunksContentType is the media type of an upload of manifest chunks: a
// sequence of frames, each the chunk's length as an unsigned varint and
// then its bytes.
const ChunksContentType = "application/octet-stream"

// AppendChunkFrame appends the frame of one chunk to b.
func AppendChunkFrame(b, chunk []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(chunk)))
	return append(b, chunk...)
}

// ReadChunkFrames reads frames from r until its end, giving each chunk's
// bytes to each (the slice is the caller's). A frame longer than
// manifest.MaxChunkSize, or cut short, ends the read with an error that
// says which frame.
func ReadChunkFrames(r io.Reader, each func(i int, chunk []byte) error) error {
	const op = "read chunks"
	br := bufio.NewReader(r)
	for i := 0; ; i++ {
		n, err := binary.ReadUvarint(br)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return frameError(op, i, "its length: %w", err)
		}
		if n == 0 || n > manifest.MaxChunkSize {
			return protocol.E(op, protocol.TooLarge, "frame %d: a chunk of %d bytes; a chunk has 1 to %d", i, n, manifest.MaxChunkSize)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return frameError(op, i, "%d bytes announced: %w", n, err)
		}
		if err := each(i, b); err != nil {
			return err
		}
	}
}

func frameError(op string, i int, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return protocol.E(op, protocol.Invalid, "frame %d is cut short: %v", i, err)
	}
	return protocol.E(op, protocol.Invalid, "frame %d: %v", i, err)
}

// PutChunksResult answers POST /v1/chunks: how many chunks were read, how
// many of them are held now and how many were new here (and their bytes),
// and each one refused.
type PutChunksResult struct {
	Chunks  int            `json:"chunks"`
	Stored  int            `json:"stored"` // chunks held now, those held before included
	New     int            `json:"new"`    // chunks this upload stored first
	Bytes   int64          `json:"new_bytes"`
	Refused []ChunkRefusal `json:"refused"`
}

// ChunkRefusal is a chunk of an upload that was not stored, and why.
type ChunkRefusal struct {
	Index int    `json:"index"` // the frame's place in the upload, from 0
	Error string `json:"error"`
	Kind  string `json:"kind"`
}

// DatasetDiff answers GET /v1/datasets/{id}/diff?from=OLD: what changed
// from dataset From to dataset ID, in key order (SPEC.md §3.8), the
// first Limit changes listed and every change counted.
type DatasetDiff struct {
	ID      protocol.ID  `json:"id"`
	From    protocol.ID  `json:"from"`
	Added   int64        `json:"added"`
	Removed int64        `json:"removed"`
	Changed int64        `json:"changed"`
	Changes []FileChange `json:"changes"`
	More    bool         `json:"more"` // changes past those listed
}

// FileChange is one file added, removed or changed between two datasets.
type FileChange struct {
	Change string    `json:"change"` // added, removed, changed
	Old    *FileView `json:"old,omitempty"`
	New    *FileView `json:"new,omitempty"`
}

// FilesPage asks for a page of a dataset's files: those whose key (the
// path in NFC) comes after After, at most Limit of them (0 for
// DefaultFilesLimit).
type FilesPage struct {
	After string
	Limit int
}
