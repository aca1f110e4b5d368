package grader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// DefaultMaxUploadSize is the upload limit of a Server with none set (1 GiB).
const DefaultMaxUploadSize = 1 << 30

// Server is the format-validation server that ML-Master's and MLE-Bench's
// agents call: POST /validate with a multipart field "file" (competition
// from the "exp-id" header or the "competition" query parameter) answers
// {"result": message, "is_valid": bool} and never a score; GET /health
// answers {"status": "running"}. Each upload gets its own temporary file,
// so concurrent requests never share a path. A Server is safe for
// concurrent use; its fields must not change once it serves.
type Server struct {
	// DataDir is the root of prepared data (<DataDir>/<id>/prepared/...).
	DataDir string
	// MaxUploadSize bounds the request body; larger uploads get 413.
	MaxUploadSize int64
	// TempDir holds the uploads while they are validated ("" = os.TempDir()).
	TempDir string
	// Tasks are custom tasks the server validates by id, beside the
	// registered competitions.
	Tasks map[string]*CustomTask
	// Resolve, when set, turns every requested id into the request that
	// grades it (without SubmissionPath), instead of DataDir and Tasks: the
	// CLI resolves ids as `mlbench run` does, custom and demo tasks
	// included. Ids that look like paths are refused before it is called.
	Resolve func(id string) (Request, error)
}

// Handler returns the server's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/health", s.health)
	mux.HandleFunc("/validate", s.validate)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "running"})
}

// validateResponse is the reference server's answer.
type validateResponse struct {
	Result  string `json:"result"`
	IsValid bool   `json:"is_valid"`
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST with a multipart field 'file'"})
		return
	}
	id := r.Header.Get("exp-id")
	if id == "" {
		id = r.URL.Query().Get("competition")
	}
	if id == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "no competition: set the exp-id header or the competition query parameter"})
		return
	}
	req := Request{CompetitionID: id, DataDir: s.DataDir}
	if s.Resolve != nil {
		var err error
		if strings.ContainsAny(id, `/\`) || strings.HasPrefix(id, ".") {
			err = fmt.Errorf("competition %q: give a task id, not a path", id)
		} else {
			req, err = s.Resolve(id)
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": s.hidePaths(err.Error())})
			return
		}
	} else if t, ok := s.Tasks[id]; ok {
		req.Custom = t
	} else if _, err := Lookup(id); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": Printable(err.Error(), MaxReasonLen)})
		return
	} else if !HasGrader(id) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("competition %s has no grader", id)})
		return
	}
	limit := s.MaxUploadSize
	if limit <= 0 {
		limit = DefaultMaxUploadSize
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	path, status, err := s.saveUpload(r)
	if path != "" {
		defer os.Remove(path)
	}
	if err != nil {
		writeJSON(w, status, map[string]string{"error": s.hidePaths(err.Error())})
		return
	}
	req.SubmissionPath = path
	valid, msg, err := Validate(r.Context(), req)
	switch {
	case errors.Is(err, ErrNotPrepared):
		// The agent cannot fix this and must not learn the host's paths.
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("competition %s not prepared on this server", Printable(id, 200))})
		return
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "An unexpected error occurred.", "details": s.hidePaths(err.Error())})
		return
	}
	writeJSON(w, http.StatusOK, validateResponse{Result: msg, IsValid: valid})
}

// hidePaths makes an error fit for a client: the server's directories
// replaced by placeholders, the text bounded and printable.
func (s *Server) hidePaths(msg string) string {
	for dir, name := range map[string]string{s.DataDir: "<data-dir>", s.TempDir: "<temp-dir>", os.TempDir(): "<temp-dir>"} {
		if dir != "" && dir != "." {
			msg = strings.ReplaceAll(msg, dir, name)
		}
	}
	return Printable(msg, MaxReasonLen)
}

// saveUpload streams the "file" part into a fresh temporary .csv file (the
// reference saves every upload as a .csv, whatever its name).
func (s *Server) saveUpload(r *http.Request) (path string, status int, err error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return "", http.StatusBadRequest, fmt.Errorf("expected a multipart/form-data body with a field 'file': %v", err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return "", http.StatusBadRequest, errors.New("no multipart field 'file' in the request")
		}
		if err != nil {
			return "", uploadStatus(err), fmt.Errorf("read upload: %v", err)
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		f, err := os.CreateTemp(s.TempDir, "mlbench-upload-*.csv")
		if err != nil {
			return "", http.StatusInternalServerError, fmt.Errorf("save upload: %v", err)
		}
		_, cerr := io.Copy(f, part)
		if err := f.Close(); cerr == nil {
			cerr = err
		}
		part.Close()
		if cerr != nil {
			return f.Name(), uploadStatus(cerr), fmt.Errorf("save upload: %v", cerr)
		}
		return f.Name(), http.StatusOK, nil
	}
}

func uploadStatus(err error) int {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// Serve answers requests on l until ctx is done, then shuts down
// gracefully (in-flight validations get up to grace to finish).
func (s *Server) Serve(ctx context.Context, l net.Listener, grace time.Duration) error {
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
