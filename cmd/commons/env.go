package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/commons-p2p/commons/node"
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
)

// Env is what a command runs with: the streams and the global flags.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	RepoFlag       string // --repo, "" when not given
	JSON           bool   // --json
}

// Repo returns the repo directory: --repo, else $COMMONS_PATH, else
// ~/.commons.
func (e *Env) Repo() (string, error) { return repo.Resolve(e.RepoFlag) }

// Client returns a client of the daemon serving the repo.
func (e *Env) Client() (*api.Client, error) {
	dir, err := e.Repo()
	if err != nil {
		return nil, err
	}
	return node.NewClient(dir)
}

// PrintTable writes v as one JSON document with --json, else calls text
// with a table on stdout, whose rows are made safe for a terminal.
func (e *Env) PrintTable(v any, text func(t *table)) error {
	if e.JSON {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := e.Stdout.Write(safeJSON(b.Bytes()))
		return err
	}
	t := newTable(e.Stdout)
	text(t)
	return t.flush()
}

// Print is PrintTable for a text form that writes to the table writer
// itself: whatever it writes that came from elsewhere must pass safeText.
func (e *Env) Print(v any, text func(t *tabwriter.Writer)) error {
	return e.PrintTable(v, func(t *table) { text(t.tw) })
}

// idAndClient reads a command's one positional argument, an ID, and
// connects to the daemon.
func idAndClient(env *Env, args *Args) (protocol.ID, *api.Client, error) {
	pos, err := args.positionals("ID")
	if err != nil {
		return protocol.ID{}, nil, err
	}
	id, err := parseID("ID", pos[0])
	if err != nil {
		return protocol.ID{}, nil, err
	}
	c, err := env.Client()
	return id, c, err
}

// queryAndClient is idAndClient for the reads that may look on the
// network: it reads --local and --timeout first, so that a bad flag is a
// usage error before any daemon is looked for.
func queryAndClient(env *Env, args *Args) (protocol.ID, api.QueryOptions, *api.Client, error) {
	opts, err := parseQueryOptions(args)
	if err != nil {
		return protocol.ID{}, opts, nil, err
	}
	id, c, err := idAndClient(env, args)
	return id, opts, c, err
}

// parseID parses an ID given on the command line; what names the argument
// in the error ("--subject", "ID"), which is a usage error.
func parseID(what, s string) (protocol.ID, error) {
	id, err := protocol.ParseID(s)
	return id, badArg(what, err)
}

// badArg is the usage error of the argument what ("--subject", "ID")
// whose value a parser refused with err. The argument's name says what
// was being parsed, so the parser's operation ("parse id: ") is dropped
// and its reason, which quotes the value, kept.
func badArg(what string, err error) error {
	if err == nil {
		return nil
	}
	if pe := (*protocol.Error)(nil); errors.As(err, &pe) && pe.Op != "" {
		err = pe.Err
	}
	return badValue(protocol.E("", protocol.Invalid, "%s %w", what, err))
}

func parseIDs(what string, ss []string) ([]protocol.ID, error) {
	out := make([]protocol.ID, len(ss))
	for i, s := range ss {
		id, err := parseID(what, s)
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

// printPublished is the text form of every command that signs an object.
func printPublished(tw *tabwriter.Writer, p api.Published) {
	printSigned(&table{tw}, p, "stored", "already stored")
}

// printSigned prints p, saying ifNew or ifOld depending on p.New.
func printSigned(t *table, p api.Published, ifNew, ifOld string) {
	state := ifNew
	if !p.New {
		state = ifOld
	}
	t.rowf("%s %s (%s)", p.Kind, p.ID, state)
	t.row("signer:", p.Signer)
	if p.Signers > 0 {
		t.row("signatures:", p.Signers)
	}
	if p.Kind == "dataset" {
		t.row("files:", p.Files)
		t.row("bytes:", humanBytes(p.Bytes))
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB (%d bytes)", float64(n)/float64(div), "KMGTPE"[exp], n)
}

func date(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
