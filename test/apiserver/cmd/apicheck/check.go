package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Pod Security Admission labels put on every namespace the checked objects use.
var restrictedLabels = map[string]string{
	"pod-security.kubernetes.io/enforce":         "restricted",
	"pod-security.kubernetes.io/enforce-version": "latest",
	"pod-security.kubernetes.io/audit":           "restricted",
	"pod-security.kubernetes.io/audit-version":   "latest",
	"pod-security.kubernetes.io/warn":            "restricted",
	"pod-security.kubernetes.io/warn-version":    "latest",
}

const enforceLabel = "pod-security.kubernetes.io/enforce"

// Kinds that must exist for real before other objects can be admitted: Pods are refused
// when their RuntimeClass, PriorityClass or ServiceAccount is missing, and custom
// resources need their CRD. These are created for real (not dry-run).
var prerequisiteKinds = map[schema.GroupKind]bool{
	{Group: "node.k8s.io", Kind: "RuntimeClass"}:        true,
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}: true,
	{Group: "", Kind: "ServiceAccount"}:                 true,
}

var (
	crdGK       = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}
	namespaceGK = schema.GroupKind{Group: "", Kind: "Namespace"}
	crdGVR      = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	nsGVR       = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	saGVR       = schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
	podGVR      = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
)

// warningCollector records the Warning headers of the responses to one request.
type warningCollector struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warningCollector) HandleWarningHeader(code int, _ string, text string) {
	if code != 299 || text == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

func (w *warningCollector) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.msgs
	w.msgs = nil
	return m
}

type checker struct {
	ctx      context.Context
	dyn      dynamic.Interface
	mapper   *restmapper.DeferredDiscoveryRESTMapper
	warnings *warningCollector
	out      io.Writer
	passed   int
	failed   int
	failures []string // recap printed before the summary line
}

func newChecker(ctx context.Context, sf serverFlags, out io.Writer) (*checker, error) {
	cfg, err := restConfig(sf)
	if err != nil {
		return nil, err
	}
	w := &warningCollector{}
	cfg.WarningHandler = w
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &checker{
		ctx:      ctx,
		dyn:      dyn,
		mapper:   restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)),
		warnings: w,
		out:      out,
	}, nil
}

func restConfig(sf serverFlags) (*rest.Config, error) {
	tok, err := os.ReadFile(sf.tokenFile)
	if err != nil {
		return nil, err
	}
	return &rest.Config{
		Host:            sf.server,
		BearerToken:     strings.TrimSpace(string(tok)),
		TLSClientConfig: rest.TLSClientConfig{CAFile: sf.caFile},
		QPS:             200,
		Burst:           400,
		Timeout:         60 * time.Second,
		UserAgent:       "kata-blueprints-apicheck",
	}, nil
}

func runWait(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ExitOnError)
	var sf serverFlags
	sf.register(fs)
	timeout := fs.Duration("timeout", 3*time.Minute, "how long to wait for /readyz")
	_ = fs.Parse(args)
	if err := sf.validate(); err != nil {
		return err
	}
	cfg, err := restConfig(sf)
	if err != nil {
		return err
	}
	cfg.Timeout = 5 * time.Second
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(*timeout)
	var last error
	for time.Now().Before(deadline) {
		body, err := dc.RESTClient().Get().AbsPath("/readyz").DoRaw(context.Background())
		if err == nil && strings.TrimSpace(string(body)) == "ok" {
			return nil
		}
		last = err
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("API server not ready after %s: %v", *timeout, last)
}

func runCheck(args []string) (int, error) {
	fs := flag.NewFlagSet("check", flag.ExitOnError)
	var sf serverFlags
	sf.register(fs)
	crdDir := fs.String("crds", "", "directory of CustomResourceDefinitions to install first")
	selfTest := fs.Bool("self-test", true, "run the self-test before checking the inputs")
	_ = fs.Parse(args)
	if err := sf.validate(); err != nil {
		return 0, err
	}
	paths := fs.Args()
	if len(paths) == 0 {
		return 0, errors.New("no input paths")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	c, err := newChecker(ctx, sf, os.Stdout)
	if err != nil {
		return 0, err
	}
	c.run(*crdDir, *selfTest, paths)
	if len(c.failures) > 0 {
		c.printf("failures (%d):", len(c.failures))
		for _, f := range c.failures {
			c.printf("%s", f)
		}
	}
	fmt.Fprintf(c.out, "apiserver: %d passed, %d failed\n", c.passed, c.failed)
	if c.failed > 0 {
		return 1, nil
	}
	return 0, nil
}

func (c *checker) printf(format string, a ...any) { fmt.Fprintf(c.out, format+"\n", a...) }

func (c *checker) pass(o *object, note string) {
	c.passed++
	if note != "" {
		note = " (" + note + ")"
	}
	c.printf("  ok    %s  [%s]%s", o.ref(), o.where(), note)
}

func (c *checker) fail(o *object, err error) {
	c.failLine(fmt.Sprintf("%s  [%s]", o.ref(), o.where()), err.Error())
}

// infraFail counts a failure that is not tied to one input object.
func (c *checker) infraFail(what string, err error) { c.failLine(what, err.Error()) }

func (c *checker) failLine(what, msg string) {
	c.failed++
	line := fmt.Sprintf("  FAIL  %s\n        %s", what, indent(msg))
	c.failures = append(c.failures, line)
	c.printf("%s", line)
}

func (c *checker) warn(o *object, msgs []string) {
	for _, m := range msgs {
		c.printf("  warn  %s: %s", o.ref(), m)
	}
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n        ") }

// run is the whole check: CRDs, self-test, namespaces, prerequisites, then every other
// object with server-side dry-run.
func (c *checker) run(crdDir string, selfTest bool, paths []string) {
	var objs []*object
	files, errs := collectFiles(paths)
	for _, err := range errs {
		c.infraFail("reading inputs", err)
	}
	for _, f := range files {
		got, errs := loadFile(f)
		for _, err := range errs {
			c.infraFail("parsing "+f, err)
		}
		objs = append(objs, got...)
	}
	c.printf("inputs: %d objects in %d files (%s)", len(objs), len(files), strings.Join(paths, ", "))
	if len(objs) == 0 {
		c.infraFail("inputs", fmt.Errorf("no Kubernetes objects found in %s", strings.Join(paths, ", ")))
	}

	// 1. CustomResourceDefinitions: the harness's own, then any shipped with the inputs.
	c.printf("custom resource definitions:")
	var crdNames []string
	if crdDir != "" {
		crdFiles, errs := collectFiles([]string{crdDir})
		for _, err := range errs {
			c.infraFail("reading "+crdDir, err)
		}
		for _, f := range crdFiles {
			got, errs := loadFile(f)
			for _, err := range errs {
				c.infraFail("parsing "+f, err)
			}
			for _, o := range got {
				if o.u.GroupVersionKind().GroupKind() != crdGK {
					c.infraFail(o.where(), fmt.Errorf("%s is not a CustomResourceDefinition", o.ref()))
					continue
				}
				if err := c.applyCRD(o); err != nil {
					c.infraFail("installing "+o.ref()+" from "+o.where(), err)
					continue
				}
				crdNames = append(crdNames, o.u.GetName())
				c.printf("  installed %s", o.ref())
			}
		}
	}
	var rest []*object
	for _, o := range objs {
		if o.u.GroupVersionKind().GroupKind() != crdGK {
			rest = append(rest, o)
			continue
		}
		if err := c.applyCRD(o); err != nil {
			c.fail(o, err)
			continue
		}
		crdNames = append(crdNames, o.u.GetName())
		c.pass(o, "created")
	}
	objs = rest
	if err := c.waitEstablished(crdNames); err != nil {
		c.infraFail("waiting for CRDs", err)
	}
	c.mapper.Reset()

	// 2. Self-test: objects the server must refuse are refused, and the good ones pass.
	if selfTest {
		c.runSelfTest()
	}

	// 3. Namespaces: declared ones are created for real, the others are made up; all are
	// labelled for Pod Security `restricted` unless the declaration says otherwise.
	c.printf("namespaces:")
	declared := map[string]*object{}
	rest = nil
	for _, o := range objs {
		if o.u.GroupVersionKind().GroupKind() != namespaceGK {
			rest = append(rest, o)
			continue
		}
		err := c.createReal(o)
		if err != nil {
			c.fail(o, err)
			continue
		}
		if declared[o.u.GetName()] == nil { // the first declaration is the one created
			declared[o.u.GetName()] = o
		}
		c.pass(o, "created")
	}
	objs = rest
	used := map[string]bool{"default": true}
	for _, o := range objs {
		m, err := c.mapping(o.u)
		if err == nil && m.Scope.Name() == meta.RESTScopeNameNamespace {
			used[namespaceOf(o.u)] = true
		}
	}
	for n := range declared {
		used[n] = true
	}
	for _, n := range sortedKeys(used) {
		if err := c.prepareNamespace(n, declared[n]); err != nil {
			c.infraFail("namespace "+n, err)
		}
	}

	// 4. Prerequisites created for real, in input order.
	c.printf("cluster prerequisites (created for real):")
	rest = nil
	for _, o := range objs {
		if !prerequisiteKinds[o.u.GroupVersionKind().GroupKind()] {
			rest = append(rest, o)
			continue
		}
		if err := c.createReal(o); err != nil {
			c.fail(o, err)
			continue
		}
		c.pass(o, "created")
	}
	objs = rest

	// 5. Everything else: server-side dry-run.
	c.printf("objects (server-side dry-run):")
	for _, o := range objs {
		warnings, err := c.dryRun(o)
		c.warn(o, warnings)
		if err != nil {
			c.fail(o, err)
			continue
		}
		c.pass(o, "")
	}
}

// namespaceOf is the namespace a namespaced object lands in: its own, else `default`.
func namespaceOf(u *unstructured.Unstructured) string {
	if ns := u.GetNamespace(); ns != "" {
		return ns
	}
	return "default"
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// mapping resolves the object's kind to a REST resource through the discovery API. A miss
// refreshes discovery once, so kinds added by CRDs a moment ago are found.
func (c *checker) mapping(u *unstructured.Unstructured) (*meta.RESTMapping, error) {
	gvk := u.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return nil, fmt.Errorf("object has no apiVersion/kind")
	}
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil && meta.IsNoMatchError(err) {
		c.mapper.Reset()
		m, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		if meta.IsNoMatchError(err) {
			return nil, fmt.Errorf("the server has no resource for %s (is its CRD installed?)", gvk)
		}
		return nil, err
	}
	return m, nil
}

func (c *checker) resourceFor(u *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	m, err := c.mapping(u)
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dyn.Resource(m.Resource).Namespace(namespaceOf(u)), nil
	}
	return c.dyn.Resource(m.Resource), nil
}

var (
	dryRunCreate = metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}
	realCreate   = metav1.CreateOptions{FieldValidation: "Strict", FieldManager: "kata-blueprints-apicheck"}
)

// dryRun sends one object with POST ?dryRun=All&fieldValidation=Strict. For workloads it
// also dry-runs a Pod made from the pod template: Pod Security `enforce`, RuntimeClass,
// PriorityClass and ServiceAccount admission act on Pods only, and only warn on templates.
func (c *checker) dryRun(o *object) ([]string, error) {
	ri, err := c.resourceFor(o.u)
	if err != nil {
		return nil, err
	}
	c.warnings.take()
	_, err = ri.Create(c.ctx, o.u.DeepCopy(), dryRunCreate)
	warnings := c.warnings.take()
	if err != nil {
		return warnings, err
	}
	pod, err := podFromTemplate(o.u)
	if err != nil {
		return warnings, err
	}
	if pod == nil {
		return warnings, nil
	}
	_, err = c.dyn.Resource(podGVR).Namespace(namespaceOf(o.u)).Create(c.ctx, pod, dryRunCreate)
	c.warnings.take()
	if err != nil {
		return warnings, fmt.Errorf("a Pod from its pod template is refused: %w", err)
	}
	return warnings, nil
}

// createReal creates an object for real. When an object of that name exists already (it
// was declared twice, or it is `default` ServiceAccount), the declaration is still
// validated by a dry-run update over the existing object.
func (c *checker) createReal(o *object) error {
	ri, err := c.resourceFor(o.u)
	if err != nil {
		return err
	}
	_, err = ri.Create(c.ctx, o.u.DeepCopy(), realCreate)
	c.warnings.take()
	if err == nil || !apierrors.IsAlreadyExists(err) {
		return err
	}
	cur, err := ri.Get(c.ctx, o.u.GetName(), metav1.GetOptions{})
	if err != nil {
		return err
	}
	upd := o.u.DeepCopy()
	upd.SetResourceVersion(cur.GetResourceVersion())
	_, err = ri.Update(c.ctx, upd, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"})
	c.warnings.take()
	return err
}

// applyCRD creates a CRD, or replaces one of that name installed earlier in this run.
func (c *checker) applyCRD(o *object) error {
	ri := c.dyn.Resource(crdGVR)
	_, err := ri.Create(c.ctx, o.u.DeepCopy(), realCreate)
	c.warnings.take()
	if err == nil || !apierrors.IsAlreadyExists(err) {
		return err
	}
	cur, err := ri.Get(c.ctx, o.u.GetName(), metav1.GetOptions{})
	if err != nil {
		return err
	}
	upd := o.u.DeepCopy()
	upd.SetResourceVersion(cur.GetResourceVersion())
	_, err = ri.Update(c.ctx, upd, metav1.UpdateOptions{FieldValidation: "Strict", FieldManager: "kata-blueprints-apicheck"})
	c.warnings.take()
	return err
}

func (c *checker) waitEstablished(names []string) error {
	deadline := time.Now().Add(90 * time.Second)
	for _, n := range names {
		for {
			cur, err := c.dyn.Resource(crdGVR).Get(c.ctx, n, metav1.GetOptions{})
			if err != nil {
				return err
			}
			conds, _, _ := unstructured.NestedSlice(cur.Object, "status", "conditions")
			established := false
			for _, cd := range conds {
				m, _ := cd.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					established = true
				}
				if m["type"] == "NamesAccepted" && m["status"] == "False" {
					return fmt.Errorf("CRD %s: names not accepted: %v", n, m["message"])
				}
			}
			if established {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("CRD %s not Established after 90s", n)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return nil
}

// prepareNamespace makes sure the namespace exists, carries the Pod Security labels and has
// a `default` ServiceAccount (kube-controller-manager is not running, and the ServiceAccount
// admission plugin refuses Pods whose account does not exist).
func (c *checker) prepareNamespace(name string, declared *object) error {
	ri := c.dyn.Resource(nsGVR)
	_, err := ri.Get(c.ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace"}}
		ns.SetName(name)
		_, err = ri.Create(c.ctx, ns, realCreate)
	}
	if err != nil {
		return err
	}
	level := "restricted"
	how := "labelled"
	switch {
	case declared != nil && declared.u.GetLabels()[enforceLabel] != "":
		// The declaration chose its own level (kata-deploy, for one, needs a privileged
		// namespace): keep it, and say so.
		level = declared.u.GetLabels()[enforceLabel]
		how = "as declared"
	case name == "kube-system":
		// System namespace of every cluster; Pod Security leaves it unenforced.
		level = "privileged"
		how = "system namespace, not enforced"
	default:
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": restrictedLabels}})
		if _, err := ri.Patch(c.ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return err
		}
	}
	sa := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ServiceAccount"}}
	sa.SetName("default")
	_, err = c.dyn.Resource(saGVR).Namespace(name).Create(c.ctx, sa, realCreate)
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	c.printf("  %-40s pod-security enforce=%s (%s)", name, level, how)
	return nil
}

// Where the pod template sits in each workload kind.
var templatePaths = map[schema.GroupKind][]string{
	{Group: "apps", Kind: "Deployment"}:        {"spec", "template"},
	{Group: "apps", Kind: "StatefulSet"}:       {"spec", "template"},
	{Group: "apps", Kind: "DaemonSet"}:         {"spec", "template"},
	{Group: "apps", Kind: "ReplicaSet"}:        {"spec", "template"},
	{Group: "", Kind: "ReplicationController"}: {"spec", "template"},
	{Group: "", Kind: "PodTemplate"}:           {"template"},
	{Group: "batch", Kind: "Job"}:              {"spec", "template"},
	{Group: "batch", Kind: "CronJob"}:          {"spec", "jobTemplate", "spec", "template"},
}

// podFromTemplate builds the Pod a controller would create from a workload's template,
// or returns nil for kinds without one. StatefulSet volumeClaimTemplates become the
// persistentVolumeClaim volumes the controller would add.
func podFromTemplate(u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	path, ok := templatePaths[u.GroupVersionKind().GroupKind()]
	if !ok {
		return nil, nil
	}
	tmpl, found, err := unstructured.NestedMap(u.Object, path...)
	if err != nil {
		return nil, fmt.Errorf("pod template at .%s: %w", strings.Join(path, "."), err)
	}
	if !found {
		return nil, fmt.Errorf("no pod template at .%s", strings.Join(path, "."))
	}
	spec, _, _ := unstructured.NestedMap(tmpl, "spec")
	if spec == nil {
		return nil, fmt.Errorf("pod template at .%s has no spec", strings.Join(path, "."))
	}
	if u.GetKind() == "StatefulSet" {
		vcts, _, _ := unstructured.NestedSlice(u.Object, "spec", "volumeClaimTemplates")
		vols, _, _ := unstructured.NestedSlice(spec, "volumes")
		have := map[string]bool{}
		for _, v := range vols {
			if m, ok := v.(map[string]any); ok {
				have[fmt.Sprint(m["name"])] = true
			}
		}
		for _, t := range vcts {
			m, _ := t.(map[string]any)
			name, _, _ := unstructured.NestedString(m, "metadata", "name")
			if name == "" || have[name] {
				continue
			}
			vols = append(vols, map[string]any{
				"name":                  name,
				"persistentVolumeClaim": map[string]any{"claimName": name + "-" + u.GetName() + "-0"},
			})
		}
		if len(vols) > 0 {
			spec["volumes"] = vols
		}
	}
	pod := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod", "spec": spec}}
	md, _, _ := unstructured.NestedMap(tmpl, "metadata")
	if l, ok := md["labels"].(map[string]any); ok {
		_ = unstructured.SetNestedMap(pod.Object, l, "metadata", "labels")
	}
	if a, ok := md["annotations"].(map[string]any); ok {
		_ = unstructured.SetNestedMap(pod.Object, a, "metadata", "annotations")
	}
	name := u.GetName()
	if name == "" {
		name = strings.TrimSuffix(u.GetGenerateName(), "-")
	}
	if len(name) > 240 {
		name = name[:240]
	}
	pod.SetName(strings.TrimSuffix(name, "-") + "-0")
	pod.SetNamespace(namespaceOf(u))
	return pod, nil
}
