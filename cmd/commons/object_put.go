package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"

	"github.com/commons-p2p/commons/protocol"
)

// ObjectPutCommand hands the node an envelope signed elsewhere.
type ObjectPutCommand struct{}

func (ObjectPutCommand) Synopsis() string { return "ingest a signed envelope from a file or stdin" }
func (ObjectPutCommand) Flags() []Flag    { return nil }
func (ObjectPutCommand) Usage() string {
	return `usage: commons object put FILE|-

Sends one DSSE envelope (from FILE, or stdin with -) to the node, which
verifies every signature and the statement before it stores anything.
Signatures on an object already stored are merged; its ID does not change.
Only the signatures that mean something for the object are kept (its
issuer's; on an attribution also its contributor's and its subject's
publisher's); a copy whose merge would pass 32 signatures is refused.
`
}

func (ObjectPutCommand) Run(ctx context.Context, env *Env, args *Args) error {
	pos, err := args.positionals("FILE")
	if err != nil {
		return err
	}
	raw, err := readEnvelope(env, pos[0])
	if err != nil {
		return err
	}
	c, err := env.Client()
	if err != nil {
		return err
	}
	res, err := c.PutObject(ctx, raw)
	if err != nil {
		return err
	}
	return env.PrintTable(res, func(t *table) {
		state := "stored"
		if !res.New {
			state = fmt.Sprintf("already stored, %d signatures added", res.Added)
		}
		t.rowf("%s %s (%s)", res.Kind, res.ID, state)
		t.row("signatures:", res.Signers)
	})
}

// pathReason is what an *fs.PathError says went wrong, without the
// operation and path it repeats, which the caller names already.
func pathReason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readEnvelope reads at most one byte more than an envelope may hold, so
// that an oversized file is refused here rather than sent.
func readEnvelope(env *Env, path string) ([]byte, error) {
	const op = "object put"
	r := env.Stdin
	name := "standard input" // or the path, quoted
	if path != "-" {
		f, err := os.Open(path)
		if os.IsNotExist(err) {
			return nil, protocol.E(op, protocol.NotFound, "%q does not exist", path)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		defer f.Close()
		r, name = f, strconv.Quote(path)
	}
	raw, err := io.ReadAll(io.LimitReader(r, protocol.MaxEnvelopeSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read %s: %w", op, name, pathReason(err))
	}
	if len(raw) > protocol.MaxEnvelopeSize {
		return nil, protocol.E(op, protocol.TooLarge, "%s is over the envelope size limit of %d bytes", name, protocol.MaxEnvelopeSize)
	}
	if len(raw) == 0 {
		return nil, protocol.E(op, protocol.Invalid, "%s is empty, want one DSSE envelope", name)
	}
	return raw, nil
}
