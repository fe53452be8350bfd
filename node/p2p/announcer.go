package p2p

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
	dht "github.com/libp2p/go-libp2p-kad-dht"

	"github.com/commons-p2p/commons/protocol"
)

// KeySource yields every key the node must announce, calling yield for each
// until it returns false. The node derives it from its store (each object
// ID, each file digest, each subject it holds claims about; protocol's
// ObjectKey, FileKey and ClaimsAboutKey), which is why announcements
// survive restarts: a restarted node's Announcer announces all of them
// again. It is iterated once per round, at the pace of the announcements,
// from the Announcer's goroutine.
type KeySource func(yield func(cid.Cid) bool) error

// Defaults of AnnouncerOptions.
const (
	// DefaultReannounceInterval is the time between two rounds: a quarter
	// of DefaultProvideValidity, so that a record survives three missed
	// rounds (a node down for a day) before it expires.
	DefaultReannounceInterval = 12 * time.Hour
	// DefaultAnnounceConcurrency is the provides in flight at once. Each
	// is a lookup of about log2(n) rounds of 10 queries and then ~20
	// ADD_PROVIDER messages.
	DefaultAnnounceConcurrency = 16
	// DefaultProvideTimeout bounds one provide.
	DefaultProvideTimeout = time.Minute
	// DefaultRetryInterval is the wait before keys whose provide failed
	// are tried again, between rounds.
	DefaultRetryInterval = 5 * time.Minute
	// DefaultMaxRetryKeys bounds the keys remembered for a retry; failed
	// keys beyond it wait for the next round.
	DefaultMaxRetryKeys = 1 << 16
)

// AnnouncerOptions configures an Announcer. Fields left zero take the
// defaults above.
type AnnouncerOptions struct {
	Interval       time.Duration // between the starts of two rounds
	Concurrency    int           // provides in flight
	ProvideTimeout time.Duration // per provide
	RetryInterval  time.Duration // before failed keys are tried again
	MaxRetryKeys   int           // failed keys remembered for a retry
	// Observe, when set, is called after each provide with its duration
	// and error (nil when it succeeded), for metrics. It must not block.
	Observe func(time.Duration, error)
	// Now and After are the clock that schedules rounds and retries and
	// times them (not ProvideTimeout, which bounds real network time):
	// default time.Now and time.After. A test passes a clock it advances
	// itself, to run a round or a retry when it chooses.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
}

func (o AnnouncerOptions) withDefaults() AnnouncerOptions {
	if o.Interval <= 0 {
		o.Interval = DefaultReannounceInterval
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultAnnounceConcurrency
	}
	if o.ProvideTimeout <= 0 {
		o.ProvideTimeout = DefaultProvideTimeout
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = DefaultRetryInterval
	}
	if o.MaxRetryKeys <= 0 {
		o.MaxRetryKeys = DefaultMaxRetryKeys
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.After == nil {
		o.After = time.After
	}
	return o
}

// Announcer keeps a node's provider records on the DHT: every key of its
// KeySource, announced when it starts and again every Interval, and new
// keys announced at once through Announce. A failed provide is counted,
// retried after RetryInterval and at the latest in the next round; it is
// never fatal. An Announcer is safe for concurrent use.
type Announcer struct {
	dht  *dht.IpfsDHT
	src  KeySource
	opts AnnouncerOptions
	sem  chan struct{} // a token per provide in flight, rounds and Announce together

	announced, failed, rounds atomic.Uint64

	mu        sync.Mutex
	retry     map[cid.Cid]struct{}
	lastRound RoundStats

	cancel context.CancelFunc
	done   chan struct{}
}

// RoundStats describe one round: every key of the source, provided.
type RoundStats struct {
	Keys     int           // keys the source yielded
	Failed   int           // of which the provide failed
	Duration time.Duration // from the first provide to the last answer
	End      time.Time     // zero before the first round ends
	Err      error         // the source's error, which cut the round short
}

// Stats are an Announcer's counters, for metrics.
type Stats struct {
	Announced uint64     // provides that succeeded, since NewAnnouncer
	Failed    uint64     // provides that failed, since NewAnnouncer
	Rounds    uint64     // rounds completed
	Retrying  int        // failed keys waiting for a retry
	LastRound RoundStats // the last round completed
}

// NewAnnouncer returns an Announcer of the keys of src on d. It announces
// nothing until Start or Announce.
func NewAnnouncer(d *dht.IpfsDHT, src KeySource, opts AnnouncerOptions) *Announcer {
	opts = opts.withDefaults()
	return &Announcer{
		dht:   d,
		src:   src,
		opts:  opts,
		sem:   make(chan struct{}, opts.Concurrency),
		retry: make(map[cid.Cid]struct{}),
	}
}

// Start runs the announcer until ctx ends or Close: it waits until the
// DHT's routing table holds a peer (a lone node cannot provide), runs a
// round, and then a round every Interval, retrying failed keys between
// rounds every RetryInterval. Start returns at once; call it once.
func (a *Announcer) Start(ctx context.Context) {
	ctx, a.cancel = context.WithCancel(ctx)
	a.done = make(chan struct{})
	go func() {
		defer close(a.done)
		a.run(ctx)
	}()
}

// Close stops what Start started and waits for it; provides in flight are
// cancelled.
func (a *Announcer) Close() {
	if a.cancel == nil {
		return
	}
	a.cancel()
	<-a.done
}

func (a *Announcer) run(ctx context.Context) {
	if WaitForPeers(ctx, a.dht) != nil {
		return
	}
	now, after := a.opts.Now, a.opts.After
	every := a.opts.RetryInterval
	round := after(0)
	// Retries keep a beat of RetryInterval, as a ticker does: a beat that
	// passed while a retry ran fires at once, the ones before it are
	// dropped.
	retryDue := now().Add(every)
	retry := after(every)
	for {
		select {
		case <-ctx.Done():
			return
		case <-round:
			start := now()
			a.Round(ctx)
			round = after(max(0, a.opts.Interval-now().Sub(start)))
		case <-retry:
			a.retryFailed(ctx)
			t := now()
			for retryDue = retryDue.Add(every); !retryDue.Add(every).After(t); {
				retryDue = retryDue.Add(every)
			}
			retry = after(max(0, retryDue.Sub(t)))
		}
	}
}

// Round provides every key of the source once and returns the round's
// stats; Start calls it every Interval. An error of the source ends the
// round early; the keys it yielded before are provided, and the error is
// in the stats.
func (a *Announcer) Round(ctx context.Context) RoundStats {
	start := a.opts.Now()
	var keys, failed atomic.Int64
	var wg sync.WaitGroup
	err := a.src(func(k cid.Cid) bool {
		keys.Add(1)
		if !a.acquire(ctx) {
			return false
		}
		wg.Go(func() {
			defer a.release()
			if a.provide(ctx, k) != nil {
				failed.Add(1)
			}
		})
		return true
	})
	wg.Wait()
	end := a.opts.Now()
	st := RoundStats{Keys: int(keys.Load()), Failed: int(failed.Load()), Duration: end.Sub(start), End: end}
	if err != nil {
		st.Err = fmt.Errorf("announce round: key source: %w", err)
	}
	if ctx.Err() != nil {
		return st // cut short: not a round
	}
	a.rounds.Add(1)
	a.mu.Lock()
	a.lastRound = st
	a.mu.Unlock()
	return st
}

// Announce provides keys now, Concurrency at a time with the rounds, and
// returns when each has been provided or has failed. The node calls it for
// the keys of a new object. A key that fails is retried later, so the
// error (kind Transient, joining each failure) is for the caller to log,
// not to act on.
func (a *Announcer) Announce(ctx context.Context, keys ...cid.Cid) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, k := range keys {
		if !a.acquire(ctx) {
			mu.Lock()
			errs = append(errs, fmt.Errorf("announce %s: %w", k, ctx.Err()))
			mu.Unlock()
			a.remember(k)
			continue
		}
		wg.Go(func() {
			defer a.release()
			if err := a.provide(ctx, k); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return protocol.E("announce", protocol.Transient, "%d of %d keys failed: %w", len(errs), len(keys), errors.Join(errs...))
	}
	return nil
}

// Stats returns the announcer's counters.
func (a *Announcer) Stats() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return Stats{
		Announced: a.announced.Load(),
		Failed:    a.failed.Load(),
		Rounds:    a.rounds.Load(),
		Retrying:  len(a.retry),
		LastRound: a.lastRound,
	}
}

// provide provides k once, counts the outcome and remembers a failed k for
// a retry.
func (a *Announcer) provide(ctx context.Context, k cid.Cid) error {
	pctx, cancel := context.WithTimeout(ctx, a.opts.ProvideTimeout)
	defer cancel()
	start := a.opts.Now()
	err := Provide(pctx, a.dht, k)
	if a.opts.Observe != nil && ctx.Err() == nil {
		a.opts.Observe(a.opts.Now().Sub(start), err)
	}
	if err != nil {
		if ctx.Err() == nil { // not a shutdown
			a.failed.Add(1)
		}
		a.remember(k)
		return err
	}
	a.announced.Add(1)
	a.mu.Lock()
	delete(a.retry, k)
	a.mu.Unlock()
	return nil
}

func (a *Announcer) remember(k cid.Cid) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.retry) < a.opts.MaxRetryKeys {
		a.retry[k] = struct{}{}
	}
}

// retryFailed provides again the keys whose last provide failed.
func (a *Announcer) retryFailed(ctx context.Context) {
	a.mu.Lock()
	keys := make([]cid.Cid, 0, len(a.retry))
	for k := range a.retry {
		keys = append(keys, k)
	}
	a.mu.Unlock()
	if len(keys) > 0 {
		a.Announce(ctx, keys...) // failures are counted and remembered again
	}
}

func (a *Announcer) acquire(ctx context.Context) bool {
	select {
	case a.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (a *Announcer) release() { <-a.sem }
