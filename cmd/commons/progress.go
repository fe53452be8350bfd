package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress draws one line on a terminal: what a long command has done so
// far, its rate and the time it expects to take still. It draws nothing
// when its writer is not a terminal or the command prints JSON, so that
// scripts and logs see only the result.
type progress struct {
	w     io.Writer // nil: silent
	start time.Time
	last  time.Time
	drawn bool
}

// newProgress returns a progress line on env's standard error, or a silent
// one when that is not a terminal or --json was given.
func newProgress(env *Env) *progress {
	f, ok := env.Stderr.(*os.File)
	if env.JSON || !ok || !term.IsTerminal(int(f.Fd())) {
		return &progress{}
	}
	return &progress{w: f, start: time.Now()}
}

// hashing draws the state of a tree being hashed: files and bytes done of
// the totals (0 while the walk has not finished counting), the rate, and
// the time left. It redraws at most ten times a second.
func (p *progress) hashing(files, totalFiles, bytes, totalBytes int64) {
	if p.w == nil {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && (totalFiles == 0 || files < totalFiles) {
		return
	}
	p.last = now
	line := fmt.Sprintf("hashed %d", files)
	if totalFiles > 0 {
		line += fmt.Sprintf(" of %d", totalFiles)
	}
	line += " files, " + shortBytes(bytes)
	if totalBytes > 0 {
		line += " of " + shortBytes(totalBytes)
	}
	elapsed := now.Sub(p.start)
	if elapsed > time.Second && bytes > 0 {
		rate := float64(bytes) / elapsed.Seconds()
		line += fmt.Sprintf(", %s/s", shortBytes(int64(rate)))
		if totalBytes > bytes {
			left := time.Duration(float64(totalBytes-bytes) / rate * float64(time.Second))
			line += ", " + left.Round(time.Second).String() + " left"
		}
	}
	p.draw(line)
}

// say draws a line of its own, such as the step a command is at.
func (p *progress) say(format string, args ...any) {
	if p.w != nil {
		p.draw(fmt.Sprintf(format, args...))
	}
}

func (p *progress) draw(line string) {
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	p.drawn = true
}

// done clears the line, so that the result is printed on a clean one.
func (p *progress) done() {
	if p.w != nil && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// shortBytes is a size in the shortest form a progress line has room for:
// humanBytes without the exact count.
func shortBytes(n int64) string {
	s, _, _ := strings.Cut(humanBytes(n), " (")
	return s
}
