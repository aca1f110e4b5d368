package grader_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlbench/mlbench/grader"
)

// upload posts a file as the multipart field "file".
func upload(tb testing.TB, url, expID string, content []byte) (int, map[string]any) {
	tb.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "submission.csv")
	if err != nil {
		tb.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, url, &body)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if expID != "" {
		req.Header.Set("exp-id", expID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		tb.Fatalf("response %q is not JSON: %v", b, err)
	}
	return resp.StatusCode, out
}

func cactusFiles(n int) (answers string, subs [][]byte) {
	var a strings.Builder
	a.WriteString("id,has_cactus\n")
	for i := range 100 {
		fmt.Fprintf(&a, "img%03d,%d\n", i, i%2)
	}
	for k := range n {
		var s strings.Builder
		s.WriteString("id,has_cactus\n")
		for i := range 100 {
			p := "0.5"
			if k%2 == 1 && i == k%100 {
				p = "1.5" // invalid: the row number names this upload
			}
			fmt.Fprintf(&s, "img%03d,%s\n", i, p)
		}
		subs = append(subs, []byte(s.String()))
	}
	return a.String(), subs
}

// TestServerConcurrentUploads sends 50 different files at once (run with
// -race): each answer must be about its own file.
func TestServerConcurrentUploads(t *testing.T) {
	answers, subs := cactusFiles(50)
	tmp := t.TempDir()
	srv := &grader.Server{DataDir: prepare(t, cactus, answers), TempDir: tmp}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	var wg sync.WaitGroup
	errs := make(chan string, len(subs))
	for k, sub := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url, id := ts.URL+"/validate", cactus
			if k%3 == 0 {
				url, id = ts.URL+"/validate?competition="+cactus, ""
			}
			code, out := upload(t, url, id, sub)
			valid, _ := out["is_valid"].(bool)
			result, _ := out["result"].(string)
			switch {
			case code != http.StatusOK:
				errs <- fmt.Sprintf("upload %d: status %d %v", k, code, out)
			case k%2 == 0 && (!valid || result != "Submission is valid."):
				errs <- fmt.Sprintf("upload %d: %v %q, want valid", k, valid, result)
			case k%2 == 1 && (valid || !strings.Contains(result, fmt.Sprintf("row %d, column 'has_cactus': probability 1.5", k%100+1))):
				errs <- fmt.Sprintf("upload %d: %v %q, want invalid at row %d", k, valid, result, k%100+1)
			case out["score"] != nil:
				errs <- fmt.Sprintf("upload %d: response has a score", k)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	left, _ := os.ReadDir(tmp)
	if len(left) != 0 {
		t.Errorf("%d uploads left in the temp dir", len(left))
	}
}

func TestServerRequests(t *testing.T) {
	answers, subs := cactusFiles(1)
	srv := &grader.Server{DataDir: prepare(t, cactus, answers), TempDir: t.TempDir(), MaxUploadSize: 4096}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	resp, err := http.Get(ts.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	var health map[string]string
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if resp.StatusCode != 200 || health["status"] != "running" {
		t.Errorf("health: %d %v", resp.StatusCode, health)
	}

	if code, out := upload(t, ts.URL+"/validate", cactus, bytes.Repeat([]byte("x"), 5000)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized upload: %d %v", code, out)
	}
	if code, out := upload(t, ts.URL+"/validate", "no-such-competition", subs[0]); code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out["error"]), "unknown competition") {
		t.Errorf("unknown competition: %d %v", code, out)
	}
	if code, out := upload(t, ts.URL+"/validate", "", subs[0]); code != http.StatusBadRequest {
		t.Errorf("no competition: %d %v", code, out)
	}
	// A competition whose data is not prepared: a 4xx that names no host
	// path.
	if code, out := upload(t, ts.URL+"/validate", "spooky-author-identification", subs[0]); code != http.StatusNotFound ||
		fmt.Sprint(out["error"]) != "competition spooky-author-identification not prepared on this server" || strings.Contains(fmt.Sprint(out), srv.DataDir) {
		t.Errorf("unprepared competition: %d %v", code, out)
	}
	resp, err = http.Post(ts.URL+"/validate?competition="+cactus, "text/csv", strings.NewReader("id,has_cactus\n"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("non-multipart body: %d", resp.StatusCode)
	}
	resp, err = http.Get(ts.URL + "/validate")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /validate: %d", resp.StatusCode)
	}
}

// TestServerShutdown checks that Serve returns cleanly when its context
// ends, as on SIGTERM.
func TestServerShutdown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &grader.Server{DataDir: t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l, 5*time.Second) }()
	for range 50 {
		if resp, err := http.Get("http://" + l.Addr().String() + "/health"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if _, err := http.Get("http://" + l.Addr().String() + "/health"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

// zeros reads NUL bytes forever.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestServerHostileUploads sends eight 9 MB NUL uploads at once, streamed
// so that the client holds none of them: each answer is short, and the
// server's allocations stay a small multiple of the uploads.
func TestServerHostileUploads(t *testing.T) {
	answers, _ := cactusFiles(0)
	for _, limit := range []struct {
		name    string
		answers string
	}{
		{"over the size limit", answers},
		// Answers large enough that 9 MB is under the size limit: the
		// header check refuses it.
		{"under the size limit", answers + strings.Repeat("x,0\n", 40_000)},
	} {
		t.Run(limit.name, func(t *testing.T) {
			srv := &grader.Server{DataDir: prepare(t, cactus, limit.answers), TempDir: t.TempDir(), MaxUploadSize: 10 << 20}
			ts := httptest.NewServer(srv.Handler())
			defer ts.Close()
			const size, n = 9 << 20, 8
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var wg sync.WaitGroup
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					const boundary = "hostile-boundary"
					body := io.MultiReader(
						strings.NewReader("--"+boundary+"\r\nContent-Disposition: form-data; name=\"file\"; filename=\"submission.csv\"\r\n\r\n"),
						io.LimitReader(zeros{}, size),
						strings.NewReader("\r\n--"+boundary+"--\r\n"))
					req, _ := http.NewRequest(http.MethodPost, ts.URL+"/validate?competition="+cactus, body)
					req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					defer resp.Body.Close()
					b, _ := io.ReadAll(resp.Body)
					if resp.StatusCode != http.StatusOK || len(b) > 1024 || !strings.Contains(string(b), `"is_valid":false`) {
						t.Errorf("status %d, %d bytes: %.300q", resp.StatusCode, len(b), b)
					}
				}()
			}
			wg.Wait()
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2*n*size {
				t.Errorf("%d uploads of %d MB allocated %d MB", n, size>>20, alloc>>20)
			}
		})
	}
}
