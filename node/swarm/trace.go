package swarm

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/routing"
)

// lookupTrace is what one provider lookup of a search did, for the debug
// line a search writes when it ends: where its time went.
type lookupTrace struct {
	what      string
	start     time.Duration // since the search began
	first     atomic.Int64  // when the first provider came, since the search began; 0: none
	end       atomic.Int64  // when the lookup and its asks ended; 0: not yet
	providers atomic.Int32  // providers found (this node left out)
	queried   atomic.Int32  // requests for providers sent (the follow-up may ask a peer again)
	dials     atomic.Int32  // of which the lookup had to dial first
}

func (t *lookupTrace) String() string {
	first := "none"
	if f := t.first.Load(); f > 0 {
		first = ms(time.Duration(f))
	}
	return fmt.Sprintf("%s[%s→first %s→end %s: %d providers, %d queried, %d dialled]",
		t.what, ms(t.start), first, ms(time.Duration(t.end.Load())), t.providers.Load(), t.queried.Load(), t.dials.Load())
}

func ms(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

// tracing reports whether the node logs searches' traces: they cost a
// goroutine per lookup and a notifiee per search, paid only then.
func (s *Search) tracing() bool { return s.sw.log.Enabled(s.ctx, slog.LevelDebug) }

// traceLookup starts the trace of a lookup of the search, and returns the
// context to run it under: kad-dht reports on it the peers it asks and
// dials.
func (s *Search) traceLookup(ctx context.Context, what string) (context.Context, *lookupTrace) {
	t := &lookupTrace{what: what, start: time.Since(s.began)}
	if !s.tracing() {
		return ctx, t
	}
	s.mu.Lock()
	s.lookups = append(s.lookups, t)
	s.mu.Unlock()
	ctx, events := routing.RegisterForQueryEvents(ctx)
	go func() {
		for ev := range events {
			switch ev.Type {
			case routing.SendingQuery:
				t.queried.Add(1)
			case routing.DialingPeer:
				t.dials.Add(1)
			}
		}
	}()
	return ctx, t
}

// found records a provider of the lookup.
func (s *Search) found(t *lookupTrace) {
	t.providers.Add(1)
	t.first.CompareAndSwap(0, int64(time.Since(s.began)))
}

// ended records the end of the lookup and of its asks.
func (s *Search) ended(t *lookupTrace) { t.end.Store(int64(time.Since(s.began))) }

// mark records that a step of the search ended, by name.
func (s *Search) mark(step string) {
	s.mu.Lock()
	s.steps = append(s.steps, step+"="+ms(time.Since(s.began)))
	s.mu.Unlock()
}

// countDials counts the connections this node opens until the returned
// function is called, which returns how many.
func (s *Search) countDials() func() int {
	if !s.tracing() {
		return func() int { return 0 }
	}
	var n atomic.Int32
	nb := &network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) {
		if c.Stat().Direction == network.DirOutbound {
			n.Add(1)
		}
	}}
	s.sw.host.Network().Notify(nb)
	return func() int {
		s.sw.host.Network().StopNotify(nb)
		return int(n.Load())
	}
}

// logTrace writes where the time of the search went, at debug level.
func (s *Search) logTrace(msg string, args ...any) {
	if !s.tracing() {
		return
	}
	s.mu.Lock()
	steps := strings.Join(s.steps, " ")
	lookups := make([]string, len(s.lookups))
	for i, t := range s.lookups {
		lookups[i] = t.String()
	}
	s.mu.Unlock()
	args = append(args, "took", ms(time.Since(s.began)), "steps", steps, "lookups", strings.Join(lookups, " "))
	s.sw.log.Debug(msg, args...)
}
