package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFileKeepsGoodDocumentsAndReportsBadOnes(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a.yaml", `# leading comment
---
apiVersion: v1
kind: ConfigMap
metadata: {name: one}
---
# only a comment
---
foo: [unclosed
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Secret, metadata: {name: two}}
  - {apiVersion: v1, kind: Secret, metadata: {name: three}}
`)
	objs, errs := loadFile(p)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "a.yaml#2") {
		t.Fatalf("want one error for document 2, got %v", errs)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.where()+" "+o.ref())
	}
	want := []string{
		p + "#1 ConfigMap one",
		p + "#3 Secret two",
		p + "#3 Secret three",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("objects:\n got %q\nwant %q", got, want)
	}
}

func TestCollectFilesWalksSortedAndReportsMissing(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "b/z.yaml", "{}")
	writeFile(t, dir, "b/a.yml", "{}")
	writeFile(t, dir, "b/notes.md", "text")
	files, errs := collectFiles([]string{filepath.Join(dir, "b"), filepath.Join(dir, "missing")})
	if len(errs) != 1 {
		t.Fatalf("want the missing path reported, got %v", errs)
	}
	if len(files) != 2 || !strings.HasSuffix(files[0], "a.yml") || !strings.HasSuffix(files[1], "z.yaml") {
		t.Fatalf("files = %v", files)
	}
}

func TestPodFromTemplate(t *testing.T) {
	cron := loadYAMLObject(`
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: data}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: backup}}
        spec:
          restartPolicy: OnFailure
          containers: [{name: c, image: busybox:1.37}]
`)
	pod, err := podFromTemplate(cron)
	if err != nil || pod == nil {
		t.Fatalf("CronJob: pod=%v err=%v", pod, err)
	}
	if pod.GetName() != "backup-0" || pod.GetNamespace() != "data" || pod.GetLabels()["app"] != "backup" {
		t.Fatalf("CronJob pod metadata: %v", pod.Object["metadata"])
	}
	if rp, _, _ := unstructured.NestedString(pod.Object, "spec", "restartPolicy"); rp != "OnFailure" {
		t.Fatalf("restartPolicy = %q", rp)
	}

	sts := loadYAMLObject(`
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: c, image: postgres:17, volumeMounts: [{name: data, mountPath: /d}]}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`)
	pod, err = podFromTemplate(sts)
	if err != nil {
		t.Fatal(err)
	}
	vols, _, _ := unstructured.NestedSlice(pod.Object, "spec", "volumes")
	if len(vols) != 1 {
		t.Fatalf("volumes = %v", vols)
	}
	claim, _, _ := unstructured.NestedString(vols[0].(map[string]any), "persistentVolumeClaim", "claimName")
	if claim != "data-db-0" || pod.GetNamespace() != "default" {
		t.Fatalf("claim %q namespace %q", claim, pod.GetNamespace())
	}

	svc := loadYAMLObject(`{apiVersion: v1, kind: Service, metadata: {name: s}}`)
	if pod, err := podFromTemplate(svc); pod != nil || err != nil {
		t.Fatalf("Service has no pod template: pod=%v err=%v", pod, err)
	}

	broken := loadYAMLObject(`{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {}}`)
	if _, err := podFromTemplate(broken); err == nil {
		t.Fatal("a Deployment without a template must be an error")
	}
}
