package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// object is one manifest document together with where it came from.
type object struct {
	file string // path as given on the command line (or below a given directory)
	doc  int    // 1-based document index in the file
	u    *unstructured.Unstructured
}

func (o *object) kind() string { return o.u.GetKind() }

// ref renders the object as `Kind namespace/name` (or `Kind name` when it has no namespace).
func (o *object) ref() string {
	name := o.u.GetName()
	if name == "" && o.u.GetGenerateName() != "" {
		name = o.u.GetGenerateName() + "*"
	}
	if ns := o.u.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", o.kind(), ns, name)
	}
	return fmt.Sprintf("%s %s", o.kind(), name)
}

func (o *object) where() string { return fmt.Sprintf("%s#%d", o.file, o.doc) }

// collectFiles expands the given paths into a sorted list of *.yaml/*.yml/*.json files.
// A directory is walked recursively; a file is taken whatever its extension.
// A path that cannot be read is reported in errs and the others are still collected.
func collectFiles(paths []string) (out []string, errs []error) {
	seen := map[string]bool{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !st.IsDir() {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
		sort.Strings(found)
		for _, f := range found {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out, errs
}

// loadFile parses every document of a YAML (or JSON) stream. Empty documents are skipped,
// `kind: List` documents are expanded into their items. A document that does not parse or
// is not a Kubernetes object is reported in errs (the harness never skips input silently)
// and the other documents are still returned.
func loadFile(path string) (out []*object, errs []error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, []error{err}
	}
	reader := utilyaml.NewYAMLReader(bufioReader(data))
	for doc := 1; ; doc++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, append(errs, fmt.Errorf("%s#%d: %w", path, doc, err))
		}
		if len(bytes.TrimSpace(stripComments(raw))) == 0 {
			doc--
			continue
		}
		js, err := yaml.YAMLToJSONStrict(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s#%d: %w", path, doc, err))
			continue
		}
		if string(bytes.TrimSpace(js)) == "null" {
			doc--
			continue
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			errs = append(errs, fmt.Errorf("%s#%d: not a Kubernetes object: %w", path, doc, err))
			continue
		}
		if u.IsList() {
			list, err := u.ToList()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s#%d: %w", path, doc, err))
				continue
			}
			for i := range list.Items {
				out = append(out, &object{file: path, doc: doc, u: &list.Items[i]})
			}
			continue
		}
		out = append(out, &object{file: path, doc: doc, u: u})
	}
	return out, errs
}

func stripComments(raw []byte) []byte {
	var b bytes.Buffer
	for _, line := range bytes.Split(raw, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' || string(t) == "---" {
			continue
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// loadYAMLObject parses a single embedded YAML document (used by the self-test).
func loadYAMLObject(src string) *unstructured.Unstructured {
	js, err := yaml.YAMLToJSONStrict([]byte(src))
	if err != nil {
		panic(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		panic(err)
	}
	return u
}

func bufioReader(data []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(data)) }
