package web

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mlbench/mlbench/results"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// writeJSON writes v, gzip-compressed when it is large (a 10,000-item
// table is megabytes of JSON) and the client takes it.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	writeBody(w, code, b)
}

func writeBody(w http.ResponseWriter, code int, b []byte) {
	if len(b) > 16<<10 && w.Header().Get("X-Accept-Gzip") == "1" {
		w.Header().Del("X-Accept-Gzip")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		w.WriteHeader(code)
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		_, _ = zw.Write(b)
		_ = zw.Close()
		return
	}
	w.Header().Del("X-Accept-Gzip")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// acceptGzip marks the response as allowed to be compressed.
func acceptGzip(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("X-Accept-Gzip", "1")
	}
}

// runOr404 finds the {run} of the URL or answers 404.
func (s *Server) runOr404(w http.ResponseWriter, r *http.Request) *runState {
	rs := s.run(r.PathValue("run"))
	if rs == nil {
		s.fail(w, r, http.StatusNotFound, "No run named "+strconv.Quote(r.PathValue("run"))+" here.")
	}
	return rs
}

// failErr maps a run's error to a status and a clear message.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, err error) {
	var hw *halfWritten
	switch {
	case errors.Is(err, errGone):
		s.fail(w, r, http.StatusGone, err.Error())
	case errors.As(err, &hw):
		s.fail(w, r, http.StatusServiceUnavailable, err.Error())
	case errors.Is(err, errNoItem), errors.Is(err, errNoNode):
		s.fail(w, r, http.StatusNotFound, err.Error())
	case errors.Is(err, context.Canceled):
		s.fail(w, r, http.StatusServiceUnavailable, "request cancelled")
	default:
		s.opts.Log.Printf("web: %s: %v", r.URL.Path, err)
		s.fail(w, r, http.StatusInternalServerError, "cannot read the run: "+firstLine(err.Error(), 300))
	}
}

// runItem is runOr404 and itemIndex together, for the item endpoints;
// ok is false once an error page has been written.
func (s *Server) runItem(w http.ResponseWriter, r *http.Request) (*runState, int, bool) {
	rs := s.runOr404(w, r)
	if rs == nil {
		return nil, 0, false
	}
	i, ok := s.itemIndex(w, r)
	if !ok {
		return nil, 0, false
	}
	return rs, i, true
}

// itemIndex parses the {item} of the URL.
func (s *Server) itemIndex(w http.ResponseWriter, r *http.Request) (int, bool) {
	i, err := strconv.Atoi(r.PathValue("item"))
	if err != nil || i < 0 {
		s.fail(w, r, http.StatusBadRequest, "item must be a non-negative number, not "+strconv.Quote(r.PathValue("item")))
		return 0, false
	}
	return i, true
}

// RunReport is a run's summary with its medal table, as the runs page and
// /api/runs show it (the numbers of `mlbench report`, by the same code).
type RunReport struct {
	RunSummary
	Medals   []results.MedalRow `json:"medals"`
	By       string             `json:"by,omitempty"`
	Keys     []string           `json:"sweep_keys,omitempty"`
	Warnings []string           `json:"warnings,omitempty"`
}

func (s *Server) runReport(ctx context.Context, rs *runState, by string) (RunReport, error) {
	snap, err := rs.snap(ctx, 0)
	if err != nil {
		return RunReport{RunSummary: errorSummary(rs.name, err)}, err
	}
	return snapReport(snap, by)
}

// snapReport is runReport of a snapshot already taken (the run page needs
// the snapshot's items too: one refresh and one copy, not two).
func snapReport(snap *snapshot, by string) (RunReport, error) {
	rep, err := results.BuildReport([]*results.Run{snap.run()}, results.ReportOptions{By: by})
	if err != nil {
		return RunReport{RunSummary: snap.summary()}, err
	}
	return RunReport{RunSummary: snap.summary(), Medals: rep.Medals, By: by, Keys: sweepKeys(snap.Manifest), Warnings: rep.Warnings}, nil
}

func sweepKeys(m results.Manifest) []string {
	seen := map[string]bool{}
	var keys []string
	for _, it := range m.Items {
		for k := range it.Params {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

func (s *Server) allReports(ctx context.Context) []RunReport {
	var out []RunReport
	for _, name := range s.runNames() {
		rs := s.run(name)
		if rs == nil {
			continue
		}
		rep, _ := s.runReport(ctx, rs, "")
		out = append(out, rep)
	}
	return out
}

func (s *Server) apiRuns(w http.ResponseWriter, r *http.Request) {
	acceptGzip(w, r)
	writeJSON(w, http.StatusOK, map[string]any{"runs": s.allReports(r.Context())})
}

func (s *Server) apiRun(w http.ResponseWriter, r *http.Request) {
	rs := s.runOr404(w, r)
	if rs == nil {
		return
	}
	rep, err := s.runReport(r.Context(), rs, r.URL.Query().Get("by"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	acceptGzip(w, r)
	writeJSON(w, http.StatusOK, rep)
}

// ItemsResponse is /api/runs/RUN/items: the items changed after ?since=
// (all of them without it), the run's version to pass next time, and the
// state counts.
type ItemsResponse struct {
	Version int64          `json:"version"`
	Full    bool           `json:"full"`
	Counts  map[string]int `json:"counts"`
	Items   []ItemView     `json:"items"`
	Now     string         `json:"now"`
}

func (s *Server) apiItems(w http.ResponseWriter, r *http.Request) {
	rs := s.runOr404(w, r)
	if rs == nil {
		return
	}
	since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	snap, err := rs.snap(r.Context(), max(since, 0))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	resp := ItemsResponse{Version: snap.Version, Full: since <= 0, Counts: snap.Counts, Items: snap.Items,
		Now: time.Now().UTC().Format(time.RFC3339)}
	if resp.Items == nil {
		resp.Items = []ItemView{}
	}
	acceptGzip(w, r)
	writeJSON(w, http.StatusOK, resp)
}

// anytimeCache keeps the anytime curves of a run: they read every node of
// every item, so they are recomputed at most every 30 s while it changes.
type anytimeCache struct {
	version int64
	at      time.Time
	rows    []results.AnytimeRow
}

func (s *Server) apiAnytime(w http.ResponseWriter, r *http.Request) {
	rs := s.runOr404(w, r)
	if rs == nil {
		return
	}
	snap, err := rs.snap(r.Context(), 1<<62)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	rs.detailMu.Lock()
	c := rs.anytime
	rs.detailMu.Unlock()
	if c == nil || (c.version != snap.Version && time.Since(c.at) > 30*time.Second) {
		rows, err := results.BuildAnytime(r.Context(), []*results.Run{snap.run()}, results.ReportOptions{}, nil, nil)
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		c = &anytimeCache{version: snap.Version, at: time.Now(), rows: rows}
		rs.detailMu.Lock()
		rs.anytime = c
		rs.detailMu.Unlock()
	}
	writeJSON(w, http.StatusOK, map[string]any{"anytime": c.rows})
}

// itemOr404 is runItem and the item's detail together, for the item page
// and its endpoint; ok is false once an error page has been written.
func (s *Server) itemOr404(w http.ResponseWriter, r *http.Request) (*runState, int, *ItemDetail, bool) {
	rs, i, ok := s.runItem(w, r)
	if !ok {
		return nil, 0, nil, false
	}
	d, err := rs.item(r.Context(), i)
	if err != nil {
		s.failErr(w, r, err)
		return nil, 0, nil, false
	}
	return rs, i, d, true
}

func (s *Server) apiItem(w http.ResponseWriter, r *http.Request) {
	_, _, d, ok := s.itemOr404(w, r)
	if !ok {
		return
	}
	if v := r.URL.Query().Get("version"); v != "" && v == d.Version {
		writeJSON(w, http.StatusOK, map[string]any{"version": d.Version, "unchanged": true, "state": d.State})
		return
	}
	acceptGzip(w, r)
	writeJSON(w, http.StatusOK, d)
}

// itemAPI answers an item's endpoint with get's value as JSON, or with the
// error page of the item's or get's error.
func (s *Server) itemAPI(w http.ResponseWriter, r *http.Request, get func(rs *runState, i int) (any, error)) {
	rs, i, ok := s.runItem(w, r)
	if !ok {
		return
	}
	v, err := get(rs, i)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	acceptGzip(w, r)
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) apiNode(w http.ResponseWriter, r *http.Request) {
	s.itemAPI(w, r, func(rs *runState, i int) (any, error) {
		return rs.node(r.Context(), i, r.PathValue("node"))
	})
}

func (s *Server) apiLog(w http.ResponseWriter, r *http.Request) {
	s.itemAPI(w, r, func(rs *runState, i int) (any, error) {
		if _, err := rs.manifestItem(r.Context(), i); err != nil {
			return nil, err
		}
		text := readTail(filepath.Join(results.ItemDir(rs.dir, i), results.WorkerLogFile), logLimit)
		return map[string]string{"log": text}, nil
	})
}

// CompareResponse is /api/compare: several runs' medal tables side by side.
type CompareResponse struct {
	Runs   []RunSummary       `json:"runs"`
	Medals []results.MedalRow `json:"medals"`
	By     string             `json:"by,omitempty"`
	Errors []string           `json:"errors,omitempty"`
}

func (s *Server) compare(ctx context.Context, names []string, by string) (CompareResponse, error) {
	var resp CompareResponse
	var runs []*results.Run
	for _, name := range names {
		rs := s.run(name)
		if rs == nil {
			resp.Errors = append(resp.Errors, "no run named "+strconv.Quote(name))
			continue
		}
		snap, err := rs.snap(ctx, 1<<62)
		if err != nil {
			resp.Errors = append(resp.Errors, name+": "+err.Error())
			continue
		}
		full, _ := rs.snap(ctx, 0)
		resp.Runs = append(resp.Runs, full.summary())
		runs = append(runs, snap.run())
	}
	if len(runs) == 0 {
		return resp, nil
	}
	rep, err := results.BuildReport(runs, results.ReportOptions{By: by})
	if err != nil {
		return resp, err
	}
	resp.Medals, resp.By = rep.Medals, by
	return resp, nil
}

func (s *Server) apiCompare(w http.ResponseWriter, r *http.Request) {
	resp, err := s.compare(r.Context(), r.URL.Query()["run"], r.URL.Query().Get("by"))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, resp)
}
