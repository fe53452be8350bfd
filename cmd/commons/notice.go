package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// NoticeCommand prints the attribution notice a work made from something
// must carry.
type NoticeCommand struct{}

func (NoticeCommand) Synopsis() string {
	return "the attribution notice of a derived work, in Markdown"
}
func (NoticeCommand) Flags() []Flag {
	return append([]Flag{{Name: "min-trust", Value: "LEVEL", Help: "list contributors at this trust level or above: asserted, acknowledged, mutual or certified (default " + api.DefaultNoticeTrust.String() + ")"}}, queryFlags...)
}
func (NoticeCommand) Usage() string {
	return `usage: commons notice ID [--min-trust LEVEL] [--local] [--timeout DURATION]

Prints, in Markdown, the attribution notice that a model card or a derived
dataset made from ID must carry: ID itself, then every work upstream of it
along its whole lineage, each with its licence, its publisher and the
contributors whose attribution claims stand at --min-trust or above. Names
and other text that others wrote are escaped: they render as text, never
as a link, image or HTML.

` + queryHelp
}

func (NoticeCommand) Run(ctx context.Context, env *Env, args *Args) error {
	min := api.DefaultNoticeTrust
	if v := args.Get("min-trust"); args.Has("min-trust") {
		if err := min.UnmarshalText([]byte(v)); err != nil || min == protocol.Revoked {
			return usagef("--min-trust %q: want asserted, acknowledged, mutual or certified", v)
		}
	}
	id, opts, c, err := queryAndClient(env, args)
	if err != nil {
		return err
	}
	md, err := c.Notice(ctx, id, min, opts)
	if err != nil {
		return err
	}
	if env.JSON {
		return env.PrintTable(map[string]string{"subject": id.String(), "min_trust": min.String(), "markdown": string(md)}, nil)
	}
	_, err = fmt.Fprint(env.Stdout, terminalLines(string(md)))
	return err
}

// terminalLines returns text as a terminal can show it line by line: each
// character that does not show, but the line feeds, as its escape
// (\x1b, \u202e, \xff). The daemon escapes a notice already; a daemon
// may be another program.
func terminalLines(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, text[i])
		case r == '\n' || shows(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	s := b.String()
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}
