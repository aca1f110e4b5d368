package main

import (
	"bufio"
	"bytes"
	"context"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// findChromium returns a headless-capable Chromium, skipping the test (or
// failing it in CI) when there is none.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("CI needs chromium (apt-get install chromium) for the browser tests")
	}
	t.Skip("needs chromium for the browser tests")
	return ""
}

// startServe starts `mlbench serve` on a free loopback port and returns its
// base URL.
func startServe(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := mlbenchCmd(t.TempDir(), env, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	sc := bufio.NewScanner(stderr)
	re := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+)/`)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stderr)
			return m[1]
		}
	}
	t.Fatalf("mlbench serve did not start")
	return ""
}

// notBlank fails unless a screenshot has real content: several colours and
// a fair share of non-white pixels.
func notBlank(t *testing.T, name string, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not a PNG: %v", name, err)
	}
	colors := map[uint32]bool{}
	ink, total := 0, 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 3 {
		for x := r.Min.X; x < r.Max.X; x += 3 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			colors[(cr>>8)<<16|(cg>>8)<<8|cb>>8] = true
			if cr < 0xf000 || cg < 0xf000 || cb < 0xf000 {
				ink++
			}
			total++
		}
	}
	if len(colors) < 16 || ink*100 < total {
		t.Errorf("%s looks blank: %d colours, %d of %d pixels not white", name, len(colors), ink, total)
	}
}

// TestIntegrationServeInBrowser drives a real demo run while it runs and
// watches it in headless Chromium: the runs page lists it, the item page's
// tree gains nodes without a reload, and a node click shows its code.
// MLBENCH_SCREENSHOTS=DIR keeps the screenshots.
func TestIntegrationServeInBrowser(t *testing.T) {
	needPython(t)
	chromium := findChromium(t)
	root := t.TempDir()
	res := filepath.Join(root, "runs")
	deadline := time.Now().Add(2 * time.Minute)
	run, runErr := startRun(t, root, "demo-binary-auc", "6")
	defer func() { run.Process.Signal(os.Interrupt); run.Wait() }()
	var runID string
	waitRun(t, "the demo run made no node", runErr, func() bool {
		if m, _ := filepath.Glob(filepath.Join(res, "*", "items", "0", "progress.json")); len(m) == 1 {
			runID = filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(m[0]))))
		}
		return runID != ""
	})
	base := startServe(t, nil, "--runs", res)

	shots := os.Getenv("MLBENCH_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	os.MkdirAll(shots, 0o755)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1400, 900), chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	shot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		notBlank(t, name, b)
		os.WriteFile(filepath.Join(shots, name), b, 0o644)
	}
	// open shows a page once the element sel is visible on it.
	open := func(page, path, sel string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
			t.Fatalf("%s: %v", page, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Runs page: the run is listed with its progress.
	open("runs page", "/", `section.run`)
	if runs := text(`main`); !strings.Contains(runs, runID) || !strings.Contains(runs, "running") {
		t.Errorf("runs page lacks the running run %s:\n%s", runID, runs)
	}
	shot("runs.png")

	// Run page: the item is in the table.
	open("run page", "/runs/"+runID, `#items tbody tr`)
	if items := text(`#items`); !strings.Contains(items, "demo-binary-auc") {
		t.Errorf("run page items lack the task:\n%s", items)
	}
	shot("run.png")

	// Item page: the tree grows while we watch, without a reload.
	count := func() int {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#tree .node').length`))
		if err != nil {
			t.Fatalf("count nodes: %v", err)
		}
		return n
	}
	open("item page", "/runs/"+runID+"/items/0", `#tree .node`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__noReload = true`)); err != nil {
		t.Fatal(err)
	}
	first := count()
	for n := first; n <= first; n = count() {
		if time.Now().After(deadline.Add(time.Minute)) {
			t.Fatalf("the tree stayed at %d nodes: %s", n, runErr.String())
		}
		time.Sleep(300 * time.Millisecond)
	}
	if still, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__noReload === true`)); err != nil || !still {
		t.Fatalf("the page reloaded to show new nodes (%v)", err)
	}
	t.Logf("tree grew from %d to %d nodes without a reload", first, count())

	// A node click shows its code.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#tree .node`)), chromedp.WaitVisible(chromedp.CSS(`#code`))); err != nil {
		t.Fatalf("node click: %v", err)
	}
	if code := text(`#code`); !strings.Contains(code, "import") {
		t.Errorf("node code does not look like the node's Python:\n%.300s", code)
	}
	shot("item.png")
}

func TestServeFlags(t *testing.T) {
	runs := t.TempDir()
	cases := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"exposed without token", []string{"serve", "--runs", runs, "--addr", "0.0.0.0:0"}, nil, "--token-env"},
		{"all interfaces without token", []string{"serve", "--runs", runs, "--addr", ":0"}, nil, "--token-env"},
		{"token variable unset", []string{"serve", "--runs", runs, "--addr", "0.0.0.0:0", "--token-env", "NOPE_TOKEN"}, nil, "NOPE_TOKEN"},
		{"host name", []string{"serve", "--runs", runs, "--addr", "example.org:80"}, nil, "IP address"},
		{"not a run", []string{"serve", runs}, nil, "not a run directory"},
		{"runs dir missing", []string{"serve", "--runs", filepath.Join(runs, "nope")}, nil, "runs directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := mlbench(t, tc.env, tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, want 2 with %q: %s", code, tc.want, errOut)
			}
		})
	}
	// With a token it serves, and the token is needed.
	base := startServe(t, []string{"VIEW_TOKEN=t0k3n-for-test"}, "--runs", runs, "--token-env", "VIEW_TOKEN")
	for _, tc := range []struct {
		auth string
		code int
	}{{"", 401}, {"Bearer wrong", 401}, {"Bearer t0k3n-for-test", 200}} {
		req, _ := http.NewRequest("GET", base+"/api/runs", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("auth %q: %d, want %d", tc.auth, resp.StatusCode, tc.code)
		}
	}
}
