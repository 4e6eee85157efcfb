package main

import (
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const (
	selfTestNS           = "apicheck-selftest"
	selfTestPrivilegedNS = "apicheck-selftest-privileged"
	selfTestRuntimeClass = "apicheck-selftest"
)

// A Pod that meets Pod Security `restricted` and names an existing RuntimeClass.
const compliantPod = `
apiVersion: v1
kind: Pod
metadata:
  name: compliant
  namespace: apicheck-selftest
spec:
  runtimeClassName: apicheck-selftest
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: app
      image: registry.k8s.io/pause:3.10
      resources:
        limits:
          cpu: 100m
          memory: 64Mi
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop: [ALL]
`

// selfCase is one object with the verdict the server must give. want is a substring the
// rejection message must contain, so a refusal for an unrelated reason does not count.
type selfCase struct {
	name   string
	obj    *unstructured.Unstructured
	reject bool
	want   string
	after  func() error // extra assertion once the verdict matched
}

func compliant(mut func(u *unstructured.Unstructured)) *unstructured.Unstructured {
	u := loadYAMLObject(compliantPod)
	if mut != nil {
		mut(u)
	}
	return u
}

func setContainerField(u *unstructured.Unstructured, value any, field ...string) {
	path := append([]string{"spec", "containers"}, field...)
	cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "containers")
	c0 := cs[0].(map[string]any)
	_ = unstructured.SetNestedField(c0, value, path[2:]...)
	cs[0] = c0
	_ = unstructured.SetNestedSlice(u.Object, cs, "spec", "containers")
}

func deploymentOf(pod *unstructured.Unstructured, name string) *unstructured.Unstructured {
	spec, _, _ := unstructured.NestedMap(pod.Object, "spec")
	d := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": name, "namespace": selfTestNS},
		"spec": map[string]any{
			"replicas": int64(1),
			"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": name}},
				"spec":     spec,
			},
		},
	}}
	return d
}

// runSelfTest proves the harness can fail: each case goes through the same dry-run path
// as the inputs and must get the expected verdict from the server.
func (c *checker) runSelfTest() {
	c.printf("self-test:")
	setup := []string{
		`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"` + selfTestNS + `"}}`,
		`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"` + selfTestPrivilegedNS + `",` +
			`"labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}`,
		`{"apiVersion":"node.k8s.io/v1","kind":"RuntimeClass","metadata":{"name":"` + selfTestRuntimeClass + `"},` +
			`"handler":"apicheck-selftest"}`,
	}
	for _, s := range setup {
		o := &object{file: "self-test", doc: 0, u: loadYAMLObject(s)}
		if err := c.createReal(o); err != nil {
			c.infraFail("self-test setup "+o.ref(), err)
			return
		}
	}
	for _, n := range []string{selfTestNS, selfTestPrivilegedNS} {
		decl := map[string]*object{selfTestPrivilegedNS: {u: loadYAMLObject(setup[1])}}
		if err := c.prepareNamespace(n, decl[n]); err != nil {
			c.infraFail("self-test namespace "+n, err)
			return
		}
	}

	privileged := func(u *unstructured.Unstructured) {
		setContainerField(u, true, "securityContext", "privileged")
		setContainerField(u, true, "securityContext", "allowPrivilegeEscalation")
	}
	cases := []selfCase{
		{
			name: "restricted-compliant Pod is admitted",
			obj:  compliant(nil),
			after: func() error {
				// dryRun=All must leave nothing behind.
				_, err := c.dyn.Resource(podGVR).Namespace(selfTestNS).Get(c.ctx, "compliant", metav1.GetOptions{})
				if !apierrors.IsNotFound(err) {
					return fmt.Errorf("dry-run persisted the Pod (get: %v)", err)
				}
				return nil
			},
		},
		{
			name:   "privileged Pod is refused by Pod Security restricted",
			obj:    compliant(func(u *unstructured.Unstructured) { privileged(u); u.SetName("privileged") }),
			reject: true,
			want:   `violates PodSecurity "restricted:latest"`,
		},
		{
			name: "the same privileged Pod is admitted where the namespace enforces privileged",
			obj: compliant(func(u *unstructured.Unstructured) {
				privileged(u)
				u.SetName("privileged")
				u.SetNamespace(selfTestPrivilegedNS)
			}),
		},
		{
			// Kubernetes 1.34+ validates Service names as RFC 1123 labels (DNS-1035 before);
			// an upper-case name with `_` is invalid under both.
			name: "Service with an invalid name (not a DNS label) is refused",
			obj: loadYAMLObject(`
apiVersion: v1
kind: Service
metadata: {name: Bad_Service, namespace: apicheck-selftest}
spec:
  selector: {app: x}
  ports: [{port: 80, targetPort: 8080}]
`),
			reject: true,
			want:   `metadata.name: Invalid value: "Bad_Service"`,
		},
		{
			name: "Pod naming a missing RuntimeClass is refused",
			obj: compliant(func(u *unstructured.Unstructured) {
				_ = unstructured.SetNestedField(u.Object, "no-such-class", "spec", "runtimeClassName")
			}),
			reject: true,
			want:   `RuntimeClass "no-such-class" not found`,
		},
		{
			name: "Pod naming a missing ServiceAccount is refused",
			obj: compliant(func(u *unstructured.Unstructured) {
				_ = unstructured.SetNestedField(u.Object, "no-such-sa", "spec", "serviceAccountName")
			}),
			reject: true,
			want:   `serviceaccount "no-such-sa" not found`,
		},
		{
			name:   "Deployment with a misspelt field is refused (strict field validation)",
			obj:    deploymentOf(compliant(func(u *unstructured.Unstructured) { setContainerField(u, "Always", "imagePullPolcy") }), "typo"),
			reject: true,
			want:   `unknown field "spec.template.spec.containers[0].imagePullPolcy"`,
		},
		{
			name:   "Deployment whose pod template is privileged is refused (template Pod check)",
			obj:    deploymentOf(compliant(privileged), "privileged"),
			reject: true,
			want:   `violates PodSecurity "restricted:latest"`,
		},
		{
			name: "Deployment with a compliant pod template is admitted",
			obj:  deploymentOf(compliant(nil), "compliant"),
		},
		{
			name: "Certificate (cert-manager.io/v1 CRD) is admitted",
			obj: loadYAMLObject(`
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: apicheck-selftest}
spec:
  secretName: web-tls
  dnsNames: [web.apicheck-selftest.svc]
  issuerRef: {name: ca, kind: Issuer}
`),
		},
		{
			name: "Certificate violating the CRD schema is refused",
			obj: loadYAMLObject(`
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: apicheck-selftest}
spec:
  secretName: web-tls
  dnsNames: web.apicheck-selftest.svc
`),
			reject: true,
			want:   "spec.issuerRef: Required value",
		},
		{
			name: "object of a kind the server does not serve is refused",
			obj: loadYAMLObject(`
apiVersion: example.invalid/v1
kind: Nothing
metadata: {name: x, namespace: apicheck-selftest}
`),
			reject: true,
			want:   "the server has no resource for example.invalid/v1, Kind=Nothing",
		},
	}
	for _, tc := range cases {
		o := &object{file: "self-test", u: tc.obj}
		_, err := c.dryRun(o)
		var problem string
		switch {
		case tc.reject && err == nil:
			problem = "expected a refusal containing " + quote(tc.want) + ", but the server admitted it"
		case tc.reject && !strings.Contains(err.Error(), tc.want):
			problem = "expected a refusal containing " + quote(tc.want) + ", got: " + err.Error()
		case !tc.reject && err != nil:
			problem = "expected admission, got: " + err.Error()
		case tc.after != nil:
			if e := tc.after(); e != nil {
				problem = e.Error()
			}
		}
		if problem != "" {
			c.failLine("self-test: "+tc.name, problem)
			continue
		}
		c.passed++
		c.printf("  ok    self-test: %s", tc.name)
	}
}

func quote(s string) string { return "`" + s + "`" }
