// Package web serves a live, read-only view of run directories: server-
// rendered HTML pages (runs, one run, one item's search tree, a comparison)
// with small embedded scripts, and the JSON endpoints behind them under
// /api/. It never writes into a run directory and never serves a file that
// is not one of a run's known files: every path it opens is built from a
// run it was given (or found under its root), an item index of the run's
// manifest and a node id of that item's tree.
//
// Pages update without a reload by polling /api/...?since=VERSION; a
// refresh of a run stats each item's directory, status.json and
// progress.json and re-reads only the items whose files changed, with the
// same code as `mlbench report` (results.CollectItem, results.BuildReport).
package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mlbench/mlbench/results"
)

//go:embed assets
var assets embed.FS

// Options configures a Server.
type Options struct {
	// Runs are run directories named on the command line.
	Runs []string
	// Root is a directory whose sub-directories holding a manifest.json
	// are runs; it is scanned again on every runs page, so new runs show up.
	Root string
	// Token, when not empty, is required on every request: as a bearer
	// token, the mlbench_token cookie, or ?token= once (which sets the
	// cookie).
	Token string
	// MinRefresh is the shortest time between two scans of one run
	// (default 1s): many open pages share one scan.
	MinRefresh time.Duration
	// States, when set, refines item states from outside the run directory
	// (the Slurm queue: queued, lost, ...). It is called at most every
	// StatesEvery per run, only while the run has unfinished items; its
	// answer maps item index to the state to show.
	States      func(runDir string, m results.Manifest) (map[int]string, error)
	StatesEvery time.Duration
	// Log receives one line per internal error (nil: the standard logger).
	Log *log.Logger
}

// Server is the http.Handler of the web view. It is safe for concurrent
// use; it holds a small cache per run and per viewed item.
type Server struct {
	opts  Options
	mux   *http.ServeMux
	pages map[string]*template.Template // by file name, each with the layout

	mu   sync.Mutex
	runs map[string]*runState // by run name (the directory's base name)

	// ctx ends the background trace reads (fill) when the server closes.
	ctx    context.Context
	cancel context.CancelFunc
}

// New returns a Server for opts. The explicit runs must be run directories
// and the root a directory.
func New(opts Options) (*Server, error) {
	if opts.Root == "" && len(opts.Runs) == 0 {
		return nil, errors.New("web: no runs: name run directories or a directory of runs")
	}
	if opts.Root != "" {
		st, err := os.Stat(opts.Root)
		if err != nil {
			return nil, fmt.Errorf("web: runs directory: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("web: runs directory %s is not a directory", opts.Root)
		}
	}
	for _, d := range opts.Runs {
		if _, err := os.Stat(filepath.Join(d, results.ManifestFile)); err != nil {
			return nil, fmt.Errorf("web: %s is not a run directory (no %s)", d, results.ManifestFile)
		}
	}
	if opts.MinRefresh <= 0 {
		opts.MinRefresh = time.Second
	}
	if opts.StatesEvery <= 0 {
		opts.StatesEvery = 15 * time.Second
	}
	if opts.Log == nil {
		opts.Log = log.Default()
	}
	s := &Server{opts: opts, runs: map[string]*runState{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.pages = map[string]*template.Template{}
	for _, page := range []string{"error.html", "runs.html", "run.html", "item.html", "compare.html"} {
		t, err := template.New(page).Funcs(funcs).ParseFS(assets, "assets/layout.html", "assets/"+page)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", page, err)
		}
		s.pages[page] = t
	}
	s.routes()
	return s, nil
}

// Warm scans every run once, so that the first page a person opens is
// served from the cache instead of reading every item's files while they
// wait. `mlbench serve` calls it in the background at start; errors show
// on the pages, as they would without it.
func (s *Server) Warm(ctx context.Context) {
	for _, name := range s.runNames() {
		if rs := s.run(name); rs != nil {
			_ = rs.refresh(ctx)
		}
	}
}

// Close stops the background reads of traces. It is idempotent; the
// Server must not serve afterwards.
func (s *Server) Close() error {
	s.cancel()
	return nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /{$}", s.runsPage)
	m.HandleFunc("GET /runs/{run}", s.runPage)
	m.HandleFunc("GET /runs/{run}/items/{item}", s.itemPage)
	m.HandleFunc("GET /compare", s.comparePage)
	m.HandleFunc("GET /api/runs", s.apiRuns)
	m.HandleFunc("GET /api/runs/{run}", s.apiRun)
	m.HandleFunc("GET /api/runs/{run}/items", s.apiItems)
	m.HandleFunc("GET /api/runs/{run}/anytime", s.apiAnytime)
	m.HandleFunc("GET /api/runs/{run}/items/{item}", s.apiItem)
	m.HandleFunc("GET /api/runs/{run}/items/{item}/nodes/{node}", s.apiNode)
	m.HandleFunc("GET /api/runs/{run}/items/{item}/log", s.apiLog)
	m.HandleFunc("GET /api/compare", s.apiCompare)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "No such page: "+r.URL.Path)
	})
	s.mux = m
}

// ServeHTTP checks the token, then serves the page; a panic in a handler
// becomes a 500 page, never a dead server.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'")
	h.Set("Referrer-Policy", "no-referrer")
	defer func() {
		if v := recover(); v != nil {
			s.opts.Log.Printf("web: %s %s: panic: %v", r.Method, r.URL.Path, v)
			s.fail(w, r, http.StatusInternalServerError, "Internal error; the server keeps running.")
		}
	}()
	if !s.authorized(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

const tokenCookie = "mlbench_token"

// authorized checks the access token. ?token= sets a cookie and redirects
// to the same URL without it, so the token does not stay in the address
// bar or the history.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.Token == "" {
		return true
	}
	ok := func(t string) bool {
		return t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(s.opts.Token)) == 1
	}
	if t := r.URL.Query().Get("token"); t != "" {
		if !ok(t) {
			s.fail(w, r, http.StatusUnauthorized, "Wrong access token.")
			return false
		}
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: t, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		q := r.URL.Query()
		q.Del("token")
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
		return false
	}
	if bearer, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found && ok(bearer) {
		return true
	}
	if c, err := r.Cookie(tokenCookie); err == nil && ok(c.Value) {
		return true
	}
	s.fail(w, r, http.StatusUnauthorized, "This view needs an access token: open it once with ?token=TOKEN, or send Authorization: Bearer TOKEN.")
	return false
}

// fail answers with a short page (or JSON error under /api/).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, code, map[string]string{"error": msg})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_ = s.pages["error.html"].ExecuteTemplate(w, "error.html", map[string]any{"Title": http.StatusText(code), "Code": code, "Message": msg})
}

// runNames lists the runs the server knows now, refreshing the list from
// the root directory.
func (s *Server) runNames() []string {
	dirs := map[string]string{}
	for _, d := range s.opts.Runs {
		dirs[uniqueName(dirs, filepath.Base(filepath.Clean(d)))] = d
	}
	if s.opts.Root != "" {
		entries, err := os.ReadDir(s.opts.Root)
		if err == nil {
			for _, e := range entries {
				d := filepath.Join(s.opts.Root, e.Name())
				if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
					continue
				}
				if _, err := os.Stat(filepath.Join(d, results.ManifestFile)); err != nil {
					continue
				}
				if !s.isExplicit(d) {
					dirs[uniqueName(dirs, e.Name())] = d
				}
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(dirs))
	for name, d := range dirs {
		if rs, ok := s.runs[name]; !ok || rs.dir != d {
			s.runs[name] = newRunState(s.ctx, name, d, &s.opts)
		}
		names = append(names, name)
	}
	for name, rs := range s.runs {
		if _, ok := dirs[name]; !ok || rs == nil {
			delete(s.runs, name) // gone from the root
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names))) // run ids start with the date: newest first
	return names
}

func (s *Server) isExplicit(dir string) bool {
	for _, d := range s.opts.Runs {
		if filepath.Clean(d) == filepath.Clean(dir) {
			return true
		}
	}
	return false
}

func uniqueName(taken map[string]string, name string) string {
	if _, ok := taken[name]; !ok {
		return name
	}
	for i := 2; ; i++ {
		n := fmt.Sprintf("%s~%d", name, i)
		if _, ok := taken[n]; !ok {
			return n
		}
	}
}

// run returns the state of a named run, or nil. Names come from URLs: they
// are only ever looked up, never joined to a path.
func (s *Server) run(name string) *runState {
	s.mu.Lock()
	rs := s.runs[name]
	s.mu.Unlock()
	if rs != nil {
		return rs
	}
	s.runNames()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs[name]
}
