package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// partialData writes a data dir in which spaceship-titanic is fully
// prepared, leaf-classification lacks its private answers and
// denoising-dirty-documents its sample submission and description, as a
// half-failed `mlebench prepare` leaves them; and a suite file naming the
// three.
func partialData(t *testing.T) (data, suite string) {
	t.Helper()
	data = t.TempDir()
	write := func(rel, body string) { writeFile(t, filepath.Join(data, rel), body, 0o644) }
	write("spaceship-titanic/prepared/public/description.md", "# Spaceship Titanic\n")
	write("spaceship-titanic/prepared/public/train.csv", "PassengerId,Transported\n0001_01,True\n")
	write("spaceship-titanic/prepared/public/sample_submission.csv", "PassengerId,Transported\n0002_01,False\n")
	write("spaceship-titanic/prepared/private/test.csv", "PassengerId,Transported\n0002_01,True\n")
	write("leaf-classification/prepared/public/description.md", "# Leaf\n")
	write("leaf-classification/prepared/public/sample_submission.csv", "id,Acer_Capillipes\n1,1\n")
	write("denoising-dirty-documents/prepared/public/train/1.png", "png")
	write("denoising-dirty-documents/prepared/private/answers.csv", "id,value\n1_1_1,1\n")
	suite = filepath.Join(t.TempDir(), "suite.txt")
	writeFile(t, suite, "spaceship-titanic\nleaf-classification\ndenoising-dirty-documents\n", 0o644)
	return data, suite
}

func TestTasksCheckNamesWhatIsMissing(t *testing.T) {
	data, suite := partialData(t)
	out, errOut, code := mlbench(t, nil, "tasks", "check", "--suite", "file:"+suite, "--data-dir", data)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	wantRows := map[string]string{"spaceship-titanic": "ok", "leaf-classification": "missing 1", "denoising-dirty-documents": "missing 2"}
	for id, status := range wantRows {
		found := false
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 0 && f[0] == id {
				found = strings.HasSuffix(strings.TrimSpace(line), status)
			}
		}
		if !found {
			t.Errorf("table row of %s does not end in %q:\n%s", id, status, out)
		}
	}
	missing := []string{
		"answers " + filepath.Join(data, "leaf-classification/prepared/private/test.csv"),
		"description " + filepath.Join(data, "denoising-dirty-documents/prepared/public/description.md"),
		"sample submission " + filepath.Join(data, "denoising-dirty-documents/prepared/public/sampleSubmission.csv"),
		"mlebench prepare -c leaf-classification --data-dir " + data,
		"mlebench prepare -c denoising-dirty-documents --data-dir " + data,
	}
	for _, m := range missing {
		if !strings.Contains(errOut, m) {
			t.Errorf("stderr does not name %q:\n%s", m, errOut)
		}
	}
	if strings.Contains(errOut, "spaceship-titanic") || strings.Count(errOut, "missing ") != 2 {
		t.Errorf("stderr names more than what is missing:\n%s", errOut)
	}
	// The complete task alone passes.
	if _, errOut, code := mlbench(t, nil, "tasks", "check", "--task", "spaceship-titanic", "--data-dir", data); code != 0 {
		t.Errorf("complete task: exit %d: %s", code, errOut)
	}
}

func TestSubmitRefusesIncompleteData(t *testing.T) {
	data, suite := partialData(t)
	root := t.TempDir()
	args := append([]string{"submit", "--suite", "file:" + suite, "--dry-run", "--data-dir", data}, clusterArgs(root, 2)...)
	_, errOut, code := mlbench(t, nil, args...)
	if code == 0 || !strings.Contains(errOut, "2 of 3 tasks are not fully prepared") || !strings.Contains(errOut, "mlebench prepare -c leaf-classification") {
		t.Fatalf("submit of a half-prepared suite: exit %d\n%s", code, errOut)
	}
	if runs, _ := filepath.Glob(filepath.Join(root, "runs", "*")); len(runs) != 0 {
		t.Errorf("a refused submit planned a run: %v", runs)
	}
	_, errOut, code = mlbench(t, nil, append(args, "--skip-missing")...)
	if code != 0 {
		t.Fatalf("--skip-missing: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "left out 2 of 3 tasks") || !strings.Contains(errOut, "leaf-classification, denoising-dirty-documents") {
		t.Errorf("--skip-missing does not say which were left out:\n%s", errOut)
	}
	manifests, _ := filepath.Glob(filepath.Join(root, "runs", "*", "manifest.json"))
	if len(manifests) != 1 {
		t.Fatalf("manifests: %v", manifests)
	}
	b, _ := os.ReadFile(manifests[0])
	if !strings.Contains(string(b), "spaceship-titanic") || strings.Contains(string(b), "leaf-classification") {
		t.Errorf("the plan should hold only spaceship-titanic:\n%s", b)
	}
}

// fakeSlurmBin holds scontrol and sinfo that describe one small partition
// (2 CPUs, 22899 MB, no GPUs), as Debian's single-node cluster does.
func fakeSlurmBin(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"scontrol": "#!/bin/sh\necho 'PartitionName=debug Default=YES MaxTime=UNLIMITED MaxMemPerNode=UNLIMITED Nodes=vm'\n",
		"sinfo":    "#!/bin/sh\necho 'vm|debug*|2|22899|(null)'\n",
	}
	for name, body := range files {
		writeFile(t, filepath.Join(dir, name), body, 0o755)
	}
	return dir
}

func TestSubmitChecksThePartition(t *testing.T) {
	bin := fakeSlurmBin(t)
	root := t.TempDir()
	base := []string{"submit", "--suite", "demo", "--dry-run", "--results", filepath.Join(root, "runs"), "--set", "data.demo_dir=" + filepath.Join(root, "demo")}
	env := []string{"PATH=" + bin + ":" + os.Getenv("PATH")}
	_, errOut, code := mlbench(t, env, base...)
	for _, want := range []string{"does not fit partition debug", "8 CPUs, 65536 MB memory", "largest nodes have 2 CPUs, 22899 MB memory"} {
		if code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("default request on a 2-CPU partition: exit %d, want 2 and %q:\n%s", code, want, errOut)
		}
	}
	if runs, _ := filepath.Glob(filepath.Join(root, "runs", "*")); len(runs) != 0 {
		t.Errorf("a refused submit planned a run: %v", runs)
	}
	if _, errOut, code := mlbench(t, env, append(base, "--slurm.cpus-per-task", "2", "--slurm.mem", "20G")...); code != 0 || strings.Contains(errOut, "warning") {
		t.Errorf("a request that fits: exit %d\n%s", code, errOut)
	}
	// Without Slurm's commands it warns and goes on.
	_, errOut, code = mlbench(t, []string{"PATH=/usr/local/bin:/nonexistent"}, append(base, "--slurm.cpus-per-task", "1")...)
	if code != 0 || !strings.Contains(errOut, "warning: cannot check the request against the partition") {
		t.Errorf("without sinfo: exit %d\n%s", code, errOut)
	}
}
