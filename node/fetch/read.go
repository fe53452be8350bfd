package fetch

import (
	"bytes"
	"io"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// The response readers below are the client's half of SPEC.md §7.3 as
// pure functions of the bytes a server sends. A violation is an error of
// kind Invalid; an error frame is an error of the kind its code gives
// (RemoteError inside); a failure of the stream itself is returned as the
// reader gave it. What was accepted before an error is returned with it.

// RawNode is a governance DAG node as a server sent it, unverified.
type RawNode struct {
	ID    protocol.ID // the ID that was asked for and that the server answered with these bytes
	Bytes []byte      // nothing about them has been checked
}

// Limits of the frames a client accepts in each place of a response.
func answerLimit(typ byte) (int, bool) {
	switch typ {
	case frameObject:
		return MaxNodeSize, true
	case frameNotFound:
		return maxIDBytes, true
	case frameError:
		return maxErrorLen, true
	}
	return 0, false
}

func chunkLimit(typ byte) (int, bool) {
	switch typ {
	case frameChunk:
		return MaxChunkSize, true
	case frameNotFound:
		return maxIDBytes, true
	case frameError:
		return maxErrorLen, true
	}
	return 0, false
}

func datasetsLimit(typ byte) (int, bool) {
	switch typ {
	case frameDatasets:
		return maxDatasetsLen, true
	case frameError:
		return maxErrorLen, true
	}
	return 0, false
}

func listLimit(typ byte) (int, bool) {
	switch typ {
	case frameIDList:
		return maxIDListLen, true
	case frameError:
		return maxErrorLen, true
	}
	return 0, false
}

func endLimit(typ byte) (int, bool) {
	switch typ {
	case frameEnd:
		return 0, true
	case frameError:
		return maxErrorLen, true
	}
	return 0, false
}

// readAnswers reads one answer per ID, in the order of ids, then the end
// frame, accepting the frames limit accepts. It calls found for each frame
// that is not not-found and returns the IDs the server does not hold.
func readAnswers(r io.Reader, ids []protocol.ID, limit bodyLimit, found func(i int, body []byte) error) (notFound []protocol.ID, err error) {
	const op = "read answer"
	fr := newFrameReader(r)
	for i, id := range ids {
		typ, body, err := fr.next(limit)
		if err != nil {
			return notFound, err
		}
		switch typ {
		case frameError:
			return notFound, decodeError(body)
		case frameNotFound:
			if !bytes.Equal(body, id.Bytes()) {
				return notFound, protocol.E(op, protocol.Invalid, "answer %d is not-found for something other than %s", i, id)
			}
			notFound = append(notFound, id)
		default: // an object or a chunk, as limit allows
			if err := found(i, body); err != nil {
				return notFound, err
			}
		}
	}
	return notFound, readEnd(fr)
}

// readEnd reads the frame that ends a response.
func readEnd(fr *frameReader) error {
	typ, body, err := fr.next(endLimit)
	switch {
	case err != nil:
		return err
	case typ == frameError:
		return decodeError(body)
	}
	return nil
}

// readObjects reads the answer to an objects request for ids: each
// envelope must verify and be the object asked for at that place.
func readObjects(r io.Reader, ids []protocol.ID) ([]*protocol.Object, []protocol.ID, error) {
	var objs []*protocol.Object
	notFound, err := readEachObject(r, ids, func(o *protocol.Object) error {
		objs = append(objs, o)
		return nil
	})
	return objs, notFound, err
}

// An answer's objects are verified in groups (protocol.VerifyObjects): a
// group closes at verifyGroup objects or verifyGroupBytes of envelopes,
// and at the end of the answer. The client holds at most one group unverified.
const (
	verifyGroup      = 64
	verifyGroupBytes = 1 << 20
)

// readEachObject is readObjects that hands each object to each, in answer
// order, once its group is verified, and stops at each's first error. An
// object that does not verify, or is not the one asked for at its place,
// ends the answer there: what each received before it stands, and the
// not-found answers returned are those before it, as if the objects had
// been verified one by one as they arrived.
func readEachObject(r io.Reader, ids []protocol.ID, each func(*protocol.Object) error) ([]protocol.ID, error) {
	var (
		bodies [][]byte
		at     []int // answer index of each body
		size   int
		failed = -1 // answer index of the object that ended the answer
	)
	flush := func() error {
		objs, errs := protocol.VerifyObjects(bodies)
		group := at
		bodies, at, size = nil, nil, 0
		for j, o := range objs {
			i := group[j]
			err := errs[j]
			switch {
			case err != nil:
				err = protocol.E("read object", protocol.Invalid, "answer %d, for %s: %w", i, ids[i], err)
			case o.ID != ids[i]:
				err = protocol.E("read object", protocol.Invalid, "answer %d is object %s, which was not asked for there (want %s)", i, o.ID, ids[i])
			default:
				err = each(o)
			}
			if err != nil {
				failed = i
				return err
			}
		}
		return nil
	}
	notFound, err := readAnswers(r, ids, answerLimit, func(i int, body []byte) error {
		bodies, at, size = append(bodies, body), append(at, i), size+len(body)
		if len(bodies) >= verifyGroup || size >= verifyGroupBytes {
			return flush()
		}
		return nil
	})
	if len(bodies) > 0 { // the end of the answer, or a failure after these arrived
		if ferr := flush(); ferr != nil {
			err = ferr
		}
	}
	if failed >= 0 {
		notFound = answeredBefore(notFound, ids, failed)
	}
	return notFound, err
}

// answeredBefore returns the IDs of notFound that ids holds before place
// i; both are in request order.
func answeredBefore(notFound, ids []protocol.ID, i int) []protocol.ID {
	n := 0
	for _, id := range ids[:i] {
		if n < len(notFound) && notFound[n] == id {
			n++
		}
	}
	return notFound[:n]
}

// readGov reads the answer to a gov request for ids. The bytes are not
// checked: the governance layer verifies them.
func readGov(r io.Reader, ids []protocol.ID) ([]RawNode, []protocol.ID, error) {
	var nodes []RawNode
	notFound, err := readAnswers(r, ids, answerLimit, func(i int, body []byte) error {
		nodes = append(nodes, RawNode{ID: ids[i], Bytes: body})
		return nil
	})
	return nodes, notFound, err
}

// readIDList reads the answer to a request for an ID list (claims,
// rotations): one ID list frame of at most limit object IDs, in strictly
// ascending order of their text form, all after after, then the end frame.
// A list that says more must not be empty, so paging always advances.
func readIDList(r io.Reader, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	fr := newFrameReader(r)
	typ, body, err := fr.next(listLimit)
	if err != nil {
		return nil, false, err
	}
	if typ == frameError {
		return nil, false, decodeError(body)
	}
	ids, more, err := decodeIDList(body, limit)
	if err != nil {
		return nil, false, err
	}
	if err := checkPage("read id list", ids, more, after); err != nil {
		return nil, false, err
	}
	if err := readEnd(fr); err != nil {
		return nil, false, err
	}
	return ids, more, nil
}

// readDatasets reads the answer to a files request: one dataset list
// frame under the rules of an ID list (readIDList), then the end frame.
func readDatasets(r io.Reader, after protocol.ID, limit int) ([]DatasetPaths, bool, error) {
	fr := newFrameReader(r)
	typ, body, err := fr.next(datasetsLimit)
	if err != nil {
		return nil, false, err
	}
	if typ == frameError {
		return nil, false, decodeError(body)
	}
	found, more, err := decodeDatasets(body, limit)
	if err != nil {
		return nil, false, err
	}
	ids := make([]protocol.ID, len(found))
	for i, f := range found {
		ids[i] = f.Dataset
	}
	if err := checkPage("read dataset list", ids, more, after); err != nil {
		return nil, false, err
	}
	if err := readEnd(fr); err != nil {
		return nil, false, err
	}
	return found, more, nil
}

// checkPage checks a page of a list: object IDs only, in strictly
// ascending order of their text form, all after after, and not empty if
// it says more, so that paging always advances.
func checkPage(op string, ids []protocol.ID, more bool, after protocol.ID) error {
	if more && len(ids) == 0 {
		return protocol.E(op, protocol.Invalid, "empty list that says more")
	}
	prev := after.String() // "" sorts before every ID
	for i, id := range ids {
		if !id.IsObject() {
			return protocol.E(op, protocol.Invalid, "id %d, %s, names an artifact, not an object", i, id)
		}
		s := id.String()
		if s <= prev {
			return protocol.E(op, protocol.Invalid, "id %d, %s, is out of order (not after %s)", i, s, prev)
		}
		prev = s
	}
	return nil
}

// readChunks reads the answer to a chunks request for ids: each chunk
// must be at most MaxChunkSize bytes (refused before its body is read),
// hash to the ID asked for at its place, and decode as a chunk
// (manifest.DecodeChunk). got receives each that does; what p sent
// before a violation stands.
func readChunks(r io.Reader, ids []protocol.ID, got func(manifest.ChunkID, []byte)) ([]protocol.ID, error) {
	return readAnswers(r, ids, chunkLimit, func(i int, body []byte) error {
		const op = "read chunk"
		want := manifest.ChunkIDFromDigest(ids[i].Digest())
		if id := manifest.SumChunk(body); id != want {
			return protocol.E(op, protocol.Invalid, "answer %d is chunk %s, which was not asked for there (want %s)", i, id, want)
		}
		if _, err := manifest.DecodeChunk(body); err != nil {
			return protocol.E(op, protocol.Invalid, "answer %d, chunk %s: %w", i, want, err)
		}
		got(want, body)
		return nil
	})
}
