package structured_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlbench/mlbench/grader/structured"
)

// benchBytes is the size of the generated submission: 1 GiB unless
// MLBENCH_BENCH_RLE_BYTES says otherwise (e.g. 64000000 while iterating).
func benchBytes(b *testing.B) int64 {
	if s := os.Getenv("MLBENCH_BENCH_RLE_BYTES"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatalf("MLBENCH_BENCH_RLE_BYTES: %v", err)
		}
		return n
	}
	return 1 << 30
}

// writeHuBMAP writes hubmap-style answers (four 30000x40000 images, each
// with 100000 true runs) and a submission whose four RLE cells add up to
// about size bytes, and returns their paths.
func writeHuBMAP(b *testing.B, dir string, size int64) (sub, ans string) {
	const h, w, images = 30000, 40000, 4
	const pixels = int64(h) * w
	ans = filepath.Join(dir, "answers.csv")
	sub = filepath.Join(dir, "submission.csv")
	write := func(path string, fill func(*bufio.Writer)) {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		fill(bw)
		if err := bw.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	write(ans, func(bw *bufio.Writer) {
		bw.WriteString("id,encoding,width_pixels,height_pixels\n")
		for i := range images {
			fmt.Fprintf(bw, "img%d,", i)
			const runs = 100000
			stride := pixels / runs
			var buf []byte
			for r := int64(0); r < runs; r++ {
				buf = strconv.AppendInt(buf[:0], r*stride+1, 10)
				buf = append(buf, ' ')
				buf = strconv.AppendInt(buf, 5000, 10)
				if r < runs-1 {
					buf = append(buf, ' ')
				}
				bw.Write(buf)
			}
			fmt.Fprintf(bw, ",%d,%d\n", w, h)
		}
	})
	write(sub, func(bw *bufio.Writer) {
		bw.WriteString("id,predicted\n")
		per := size / images
		for i := range images {
			fmt.Fprintf(bw, "img%d,", i)
			// Pairs take 12 to 14 bytes ("1234567890 35 "): plan for 13
			// and stop when the cell has its share.
			runs := per / 13
			stride := pixels / runs
			var buf []byte
			written := int64(0)
			for r := int64(0); r < runs && written < per; r++ {
				buf = strconv.AppendInt(buf[:0], r*stride+1, 10)
				buf = append(buf, ' ')
				buf = strconv.AppendInt(buf, stride/2, 10)
				buf = append(buf, ' ')
				bw.Write(buf)
				written += int64(len(buf))
			}
			bw.WriteString("\n")
		}
	})
	return sub, ans
}

// peakHeap samples the Go heap (bytes in heap spans in use, from
// runtime/metrics, which does not stop the world) while f runs.
func peakHeap(f func()) (peak uint64) {
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			mu.Lock()
			peak = max(peak, sample[0].Value.Uint64()+sample[1].Value.Uint64())
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	<-done
	return peak
}

// vmHWM is the process's peak resident set size from /proc/self/status.
func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if s := string(line); strings.HasPrefix(s, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(s, "VmHWM:"))
		}
	}
	return "n/a"
}

// BenchmarkHuBMAPLargeSubmission grades a hubmap-kidney-segmentation
// submission of about 1 GiB (four cells of 256 MiB, ~80 million runs)
// against four 1.2-gigapixel masks, reporting throughput, the peak Go heap
// during grading and the process's peak RSS.
//
//	go test -run XXX -bench HuBMAPLarge -benchtime 1x ./grader/structured/
func BenchmarkHuBMAPLargeSubmission(b *testing.B) {
	dir := b.TempDir()
	sub, ans := writeHuBMAP(b, dir, benchBytes(b))
	st, err := os.Stat(sub)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	b.SetBytes(st.Size())
	b.ResetTimer()
	var peak uint64
	for range b.N {
		p := peakHeap(func() {
			sf, _ := os.Open(sub)
			af, _ := os.Open(ans)
			defer sf.Close()
			defer af.Close()
			score, err := structured.HuBMAP(context.Background(), sf, af)
			if err != nil {
				b.Fatal(err)
			}
			if score <= 0 || score >= 1 {
				b.Fatalf("implausible score %v", score)
			}
		})
		peak = max(peak, p)
	}
	b.StopTimer()
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.Logf("submission %d bytes; peak Go heap %.1f MiB; process VmHWM %s", st.Size(), float64(peak)/(1<<20), vmHWM())
}
