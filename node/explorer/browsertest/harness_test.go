package browsertest

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// csp is the policy the explorer's pages are served with, so that the
// standalone page proves the graph draws under it.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// browserTools finds chromium, node and the npm packages, or skips
// saying which is missing and how to install it.
func browserTools(t *testing.T) (chromium, nodejs string) {
	t.Helper()
	for _, name := range []string{os.Getenv("COMMONS_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
			break
		}
	}
	if chromium == "" {
		t.Skip("no chromium on PATH (apt-get install chromium, or run .ci/setup): the explorer's browser tests are not run")
	}
	nodejs, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on PATH (apt-get install nodejs, or run .ci/setup): the explorer's browser tests are not run")
	}
	for _, pkg := range []string{"puppeteer-core", "axe-core"} {
		if _, err := os.Stat(filepath.Join("node_modules", pkg, "package.json")); err != nil {
			t.Skipf("npm package %s is not installed in node/explorer/browsertest (npm ci there, or run .ci/setup): the explorer's browser tests are not run", pkg)
		}
	}
	return chromium, nodejs
}

// runScript runs one of the Node.js scripts against origin, logging its
// output line by line, and fails the test when the script fails.
func runScript(t *testing.T, script, origin string, env ...string) string {
	t.Helper()
	chromium, nodejs := browserTools(t)
	cmd := exec.Command(nodejs, script)
	cmd.Env = append(os.Environ(), "COMMONS_CHROMIUM="+chromium, "COMMONS_URL="+origin)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for sc.Scan() {
			t.Log(sc.Text())
			all.WriteString(sc.Text() + "\n")
		}
		io.Copy(io.Discard, out)
	}()
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s failed (%v); its steps are above", script, err)
	}
	return all.String()
}

// secured serves h with the explorer's security headers.
func secured(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}
