package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestProgressLine: the line says files and bytes of the totals, a rate
// and the time left once it has them, redraws in place, and is cleared
// before the result; it is silent off a terminal and with --json.
func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b, start: time.Now().Add(-10 * time.Second)}
	p.hashing(10, 0, 4096, 0)
	if got := b.String(); !strings.HasPrefix(got, "\r\x1b[K") || !strings.Contains(got, "hashed 10 files, 4.0 KiB") || strings.Contains(got, " of ") {
		t.Errorf("while the walk counts: %q", got)
	}
	b.Reset()
	p.last = time.Time{}
	p.hashing(500, 1000, 50<<20, 100<<20)
	got := b.String()
	for _, want := range []string{"hashed 500 of 1000 files", "50.0 MiB of 100.0 MiB", "MiB/s", "left"} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q lacks %q", got, want)
		}
	}
	b.Reset()
	p.hashing(501, 1000, 51<<20, 100<<20) // within 100 ms of the last: not drawn
	if b.Len() != 0 {
		t.Errorf("redrawn within 100 ms: %q", b.String())
	}
	p.done()
	if b.String() != "\r\x1b[K" {
		t.Errorf("done wrote %q, want the line cleared", b.String())
	}
	var out bytes.Buffer
	for _, env := range []*Env{{Stderr: &out}, {Stderr: &out, JSON: true}} {
		q := newProgress(env)
		q.hashing(1, 2, 3, 4)
		q.say("x")
		q.done()
	}
	if out.Len() != 0 {
		t.Errorf("progress off a terminal wrote %q", out.String())
	}
}
