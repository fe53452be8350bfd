package bundle

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/commons-p2p/commons/node/answer"
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/creditview"
	"github.com/commons-p2p/commons/node/licence"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/store"
)

// Recompute computes from s and governance state every answer a bundle
// carries about subject, with the code the node answers with: the
// attribution (answer.Attribution), the credit at api.DefaultCreditTrust
// (creditview.Credit) and the licences (licence.Report). It is the one
// place where an answer joins bundles: Build writes what it returns and
// Verify compares what it returns with what a bundle says.
//
// The three are computed at once, each on a core when there are two, each
// from the same store and state: none depends on the others.
func Recompute(s *store.Store, state *gov.State, subject protocol.ID) (Answers, error) {
	var out Answers
	var errs [3]error
	var wg sync.WaitGroup
	wg.Go(func() {
		c, err := creditview.Credit(s, state, answer.Standings(state), subject, api.DefaultCreditTrust)
		out.Credit, errs[1] = c, err
	})
	wg.Go(func() {
		l, err := licence.Report(s, state, answer.Standings(state), subject)
		out.License, errs[2] = l, err
	})
	out.Attribution, errs[0] = answer.Attribution(s, state, answer.Standings(state), subject)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Answers{}, err
		}
	}
	return out, nil
}

// compareAnswers returns nil when got, recomputed from the pieces, says
// what want, the bundle's answers, says; otherwise an error naming the
// first member where they part.
func compareAnswers(want, got Answers) error {
	w, err := generic(want)
	if err != nil {
		return err
	}
	g, err := generic(got)
	if err != nil {
		return err
	}
	if path, ws, gs, differ := firstDifference(w, g, "answers"); differ {
		return protocol.E("verify bundle", protocol.Invalid,
			"the answers do not follow from the pieces: at %s%s the bundle says %s, the pieces give %s", path, pieceAt(w, path), ws, gs)
	}
	return nil
}

// pieceAt names the piece of the answer at path, as " (claim ID)": the
// innermost member on the way that names a claim or an object, if any.
func pieceAt(v any, path string) string {
	found := ""
	var walk func(v any, rest string)
	walk = func(v any, rest string) {
		if m, ok := v.(map[string]any); ok {
			for _, k := range []string{"claim", "id"} {
				if id, ok := m[k].(string); ok {
					found = " (" + map[string]string{"claim": "claim", "id": "object"}[k] + " " + protocol.Clip(id) + ")"
					break
				}
			}
		}
		if rest == "" {
			return
		}
		switch {
		case rest[0] == '.':
			end := strings.IndexAny(rest[1:], ".[")
			if end < 0 {
				end = len(rest) - 1
			}
			if m, ok := v.(map[string]any); ok {
				walk(m[rest[1:end+1]], rest[end+1:])
			}
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			i, err := strconv.Atoi(rest[1:end])
			if a, ok := v.([]any); ok && err == nil && i < len(a) {
				walk(a[i], rest[end+1:])
			}
		}
	}
	walk(v, strings.TrimPrefix(path, "answers"))
	return found
}

// generic is v as encoding/json reads it back into plain values, so that
// two answers compare member by member, whatever their spacing.
func generic(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, protocol.E("verify bundle", protocol.Other, "encode answers: %v", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, protocol.E("verify bundle", protocol.Other, "read answers: %v", err)
	}
	return out, nil
}

// firstDifference walks a and b together and returns the path of the
// first member where they differ, with each side's value quoted.
func firstDifference(a, b any, path string) (string, string, string, bool) {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(av)+len(bv))
		for k := range av {
			keys = append(keys, k)
		}
		for k := range bv {
			if _, ok := av[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, x, y, d := firstDifference(av[k], bv[k], path+"."+k); d {
				return p, x, y, d
			}
		}
		return "", "", "", false
	case []any:
		bv, ok := b.([]any)
		if !ok {
			break
		}
		for i := range min(len(av), len(bv)) {
			if p, x, y, d := firstDifference(av[i], bv[i], path+"["+strconv.Itoa(i)+"]"); d {
				return p, x, y, d
			}
		}
		if len(av) != len(bv) {
			return path, fmt.Sprintf("%d entries", len(av)), fmt.Sprintf("%d entries", len(bv)), true
		}
		return "", "", "", false
	}
	if reflect.DeepEqual(a, b) {
		return "", "", "", false
	}
	return path, quote(a), quote(b), true
}

func quote(v any) string {
	if v == nil {
		return "nothing"
	}
	b, _ := json.Marshal(v)
	return protocol.Clip(string(b))
}

// namedObjects lists the objects an attribution answer names as stored,
// each with where it names it: the subject and the ancestors of a kind
// other than unknown or artifact, every claim and every endorsement.
func namedObjects(a *api.Attribution) []named {
	var out []named
	stored := func(kind string) bool { return kind != protocol.KindUnknown.String() && kind != "artifact" }
	if stored(a.Kind) {
		out = append(out, named{a.Subject, "attribution.subject"})
	}
	for i, c := range a.Contributors {
		out = append(out, named{c.Claim, fmt.Sprintf("attribution.contributors[%d].claim", i)})
	}
	for i, e := range a.Endorsements {
		out = append(out, named{e.ID, fmt.Sprintf("attribution.endorsements[%d].id", i)})
	}
	for i, l := range a.Lineage {
		if stored(l.Kind) {
			out = append(out, named{l.ID, fmt.Sprintf("attribution.lineage[%d].id", i)})
		}
		if l.Via != a.Subject { // the node whose parents named it: stored
			out = append(out, named{l.Via, fmt.Sprintf("attribution.lineage[%d].via", i)})
		}
		for j, c := range l.Contributors {
			out = append(out, named{c.Claim, fmt.Sprintf("attribution.lineage[%d].contributors[%d].claim", i, j)})
		}
	}
	return slices.DeleteFunc(out, func(n named) bool { return n.id.IsZero() })
}

type named struct {
	id    protocol.ID
	where string
}
