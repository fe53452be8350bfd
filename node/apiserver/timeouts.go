package apiserver

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// Timeouts bounds how long a connection to the API may hold the daemon
// (SPEC §6.2). An ordinary request has Read to arrive whole and Write to be
// answered; the routes that rightly take longer lift their own deadlines:
// a read that searches the network (up to api.MaxQueryTimeout) and a bulk
// upload (up to 1 GiB), whose body must keep arriving at MinBodyRate.
type Timeouts struct {
	ReadHeader  time.Duration // the request line and headers
	Read        time.Duration // an ordinary request, headers and body
	Write       time.Duration // an ordinary response, from the end of the headers
	Idle        time.Duration // a kept-alive connection between two requests
	BodyGrace   time.Duration // a streamed body: waiting allowed before MinBodyRate counts
	MinBodyRate int64         // a streamed body: bytes per second of waiting for it, at least
	Margin      time.Duration // added to a search's own bound for its response
}

// DefaultTimeouts are the daemon's. A 32 MiB request body takes well
// under Read even from a remote client; a search of the network gets its
// own timeout plus Margin; a bulk body of 1 GiB at the minimum rate would
// take about 18 hours, so the rate only cuts a client that stalls.
var DefaultTimeouts = Timeouts{
	ReadHeader:  10 * time.Second,
	Read:        time.Minute,
	Write:       time.Minute,
	Idle:        2 * time.Minute,
	BodyGrace:   30 * time.Second,
	MinBodyRate: 16 << 10,
	Margin:      30 * time.Second,
}

// aLongTimeAgo is a deadline that has passed: setting it stops reads at once.
var aLongTimeAgo = time.Unix(1, 0)

// NewServer returns the HTTP server of the API with timeouts t.
func NewServer(h http.Handler, t Timeouts) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
	}
}

// allowSearch lifts the deadlines of a read that may search the network for
// as long as q lets it, plus the margin to answer. The read deadline
// matters too: the server watches the idle connection for the client going
// away, and that watch ending at ReadTimeout would cancel the search.
func (t Timeouts) allowSearch(w http.ResponseWriter, q api.QueryOptions) {
	d := q.Timeout
	if d == 0 {
		d = api.DefaultQueryTimeout
	}
	if q.Local {
		return
	}
	deadline := time.Now().Add(d + t.Margin)
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(deadline)
	rc.SetWriteDeadline(deadline)
}

// manifestWork is the time a request may take per file of a dataset that
// names a manifest, beyond the ordinary bound: publishing one reads its
// whole tree and indexes every entry (SPEC §6.2). maxManifestWork bounds it.
const (
	manifestWork    = time.Millisecond
	maxManifestWork = 30 * time.Minute
)

// allowManifest gives the answer to a request that publishes a dataset of
// files under a manifest the time its tree takes, plus the margin to answer.
func (t Timeouts) allowManifest(w http.ResponseWriter, files int64) {
	d := min(time.Duration(files)*manifestWork, maxManifestWork)
	deadline := time.Now().Add(t.Write + d)
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(deadline)
	rc.SetWriteDeadline(deadline)
}

// errBodyStalled is the error of a streamed body that arrives too slowly.
var errBodyStalled = errors.New("request body stalled")

// streamedBody reads a long request body as fast as its client sends it,
// however long that takes, but cuts a client that stalls: the time spent
// waiting for the body may not exceed BodyGrace plus one second for every
// MinBodyRate bytes received. Time the handler spends on what it read does
// not count, so a slow store never cuts a fast client. Each read also moves
// the write deadline Write ahead, so results streamed back to a client that
// keeps sending are not cut, while one that stops reading them is.
type streamedBody struct {
	body   io.ReadCloser
	rc     *http.ResponseController
	t      Timeouts
	got    int64
	waited time.Duration
}

func newStreamedBody(w http.ResponseWriter, r *http.Request, t Timeouts) *streamedBody {
	return &streamedBody{body: r.Body, rc: http.NewResponseController(w), t: t}
}

func (b *streamedBody) Read(p []byte) (int, error) {
	earned := time.Duration(float64(b.got) / float64(max(b.t.MinBodyRate, 1)) * float64(time.Second))
	allowed := b.t.BodyGrace + earned - b.waited
	start := time.Now()
	b.rc.SetReadDeadline(start.Add(max(allowed, 0)))
	b.rc.SetWriteDeadline(start.Add(b.t.Write))
	n, err := b.body.Read(p)
	now := time.Now()
	b.waited += now.Sub(start)
	b.got += int64(n)
	switch {
	case err == io.EOF:
		// The server now watches the idle connection for the client going
		// away; give that watch as long as the answer may take.
		b.rc.SetReadDeadline(now.Add(b.t.Write))
	case isTimeout(err):
		return n, protocol.E("read request", protocol.Transient, "%w: %d bytes in %s of waiting, under the minimum of %d bytes per second after %s",
			errBodyStalled, b.got, b.waited.Round(time.Millisecond), b.t.MinBodyRate, b.t.BodyGrace)
	}
	return n, err
}

func (b *streamedBody) Close() error { return b.body.Close() }

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
