// Offline checks of the deploy files with the libraries Docker itself uses (no Docker engine):
//   - Dockerfile: BuildKit's Dockerfile frontend (dockerfile2llb.DockerfileLint), i.e. the build
//     checks `docker build --check` runs, with all stages converted; base images are "resolved"
//     by a stub (no registry is contacted), so checks that need a real image config see an empty one;
//   - .dockerignore: Docker's pattern matcher decides which files form the build context; every
//     COPY source must be in it and local state (test bed keys, node_modules, .git, ...) must not;
//   - docker-compose.yml (alone and with deploy/compose/kind.yml): compose-go v2, the loader behind
//     `docker compose config` (interpolation, schema validation, normalisation).
//
// Run from the repository root:   go -C deploy/tools/lint run . "$PWD"
// Options (env): PRINT_COMPOSE=1 prints the normalised compose model; CONTEXT_LIST=FILE writes the
// build context's file list (used by deploy/tools/image-dry-run.sh).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	digest "github.com/opencontainers/go-digest"
	"gopkg.in/yaml.v3"
)

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	checks := []struct {
		name string
		run  func(string) error
	}{
		{"Dockerfile", checkDockerfile},
		{".dockerignore", checkContext},
		{"docker-compose.yml", func(r string) error { return checkCompose(r, "docker-compose.yml") }},
		{"docker-compose.yml + deploy/compose/kind.yml", func(r string) error {
			return checkCompose(r, "docker-compose.yml", "deploy/compose/kind.yml")
		}},
	}
	failed := 0
	for _, check := range checks {
		if err := check.run(root); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", check.name, err)
			failed++
		}
	}
	if failed > 0 {
		os.Exit(1)
	}
}

// stubResolver answers every base image with a minimal linux/amd64 config (like node:24-slim's).
type stubResolver struct{}

func (stubResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	config, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{
			"Env":        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NODE_VERSION=24.0.0"},
			"Entrypoint": []string{"docker-entrypoint.sh"},
			"Cmd":        []string{"node"},
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{}},
	})
	return ref, digest.FromBytes(config), config, nil
}

func checkDockerfile(root string) error {
	path := filepath.Join(root, "Dockerfile")
	dt, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	src := llb.Local("context", llb.IncludePatterns([]string{"Dockerfile"}))
	def, err := src.Marshal(context.Background())
	if err != nil {
		return err
	}
	sourceMap := llb.NewSourceMap(&src, "Dockerfile", "Dockerfile", dt)
	sourceMap.Definition = def
	results, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{
		Config:       dockerui.Config{},
		SourceMap:    sourceMap,
		MetaResolver: stubResolver{},
	})
	if err != nil {
		return err
	}
	if results.Error != nil {
		return fmt.Errorf("build error: %s", results.Error.Message)
	}
	if len(results.Warnings) > 0 {
		lines := []string{}
		for _, w := range results.Warnings {
			line := int32(0)
			if w.Location != nil && len(w.Location.Ranges) > 0 {
				line = w.Location.Ranges[0].Start.Line
			}
			lines = append(lines, fmt.Sprintf("%s (line %d): %s", w.RuleName, line, w.Detail))
		}
		return fmt.Errorf("%d build check warning(s):\n  %s", len(lines), strings.Join(lines, "\n  "))
	}
	fmt.Println("ok   Dockerfile: BuildKit build checks (all stages) report nothing")
	return nil
}

// contextFiles lists the files `docker build .` sends, using Docker's .dockerignore semantics.
func contextFiles(root string) ([]string, error) {
	f, err := os.Open(filepath.Join(root, ".dockerignore"))
	if err != nil {
		return nil, err
	}
	patterns, err := ignorefile.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, err
	}
	var files []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "." {
			return nil
		}
		excluded, err := pm.MatchesOrParentMatches(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		if d.IsDir() {
			// Like the Docker CLI: skip an excluded directory unless an exception may re-include something in it.
			if excluded && !pm.Exclusions() {
				return filepath.SkipDir
			}
			if rel == ".git" || rel == "node_modules" || strings.HasPrefix(rel, ".testbed") {
				if excluded {
					return filepath.SkipDir // large and excluded; nothing in them is re-included
				}
			}
			return nil
		}
		if !excluded {
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

func checkContext(root string) error {
	files, err := contextFiles(root)
	if err != nil {
		return err
	}
	in := map[string]bool{}
	for _, f := range files {
		in[f] = true
	}
	var problems []string
	for _, want := range []string{"package.json", "package-lock.json", "tsconfig.json", "nest-cli.json", "src/main.ts", "deploy/docker/healthcheck.mjs"} {
		if !in[want] {
			problems = append(problems, "missing from the build context: "+want)
		}
	}
	for _, f := range files {
		for _, banned := range []string{".git/", "node_modules/", ".testbed", "dist/", "test/", ".env", "testbed/"} {
			if strings.HasPrefix(f, banned) {
				problems = append(problems, "in the build context but must not be: "+f)
			}
		}
		if strings.HasSuffix(f, ".spec.ts") || (!strings.HasPrefix(f, "src/") && strings.Contains(f, "kubeconfig")) || strings.HasSuffix(f, ".key") || strings.HasSuffix(f, ".token") {
			problems = append(problems, "in the build context but must not be: "+f)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n  "))
	}
	if out := os.Getenv("CONTEXT_LIST"); out != "" {
		if err := os.WriteFile(out, []byte(strings.Join(files, "\n")+"\n"), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("ok   .dockerignore: build context is %d files (package*.json, tsconfig.json, nest-cli.json, src/ without specs, healthcheck.mjs)\n", len(files))
	return nil
}

func checkCompose(root string, files ...string) error {
	env := []string{"JWT_SECRET=0123456789abcdef0123456789abcdef", "KUBECONFIG_FILE=/tmp/kubeconfig", "HOME=/home/dev"}
	paths := []string{}
	for _, f := range files {
		paths = append(paths, filepath.Join(root, f))
	}
	opts, err := cli.NewProjectOptions(paths, cli.WithWorkingDirectory(root), cli.WithEnv(env))
	if err != nil {
		return err
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		return err
	}
	if os.Getenv("PRINT_COMPOSE") != "" {
		out, _ := yaml.Marshal(project)
		fmt.Println(string(out))
	}
	// Without JWT_SECRET the file must refuse to load (required variable).
	bare, err := cli.NewProjectOptions(paths, cli.WithWorkingDirectory(root), cli.WithEnv([]string{"HOME=/home/dev"}))
	if err != nil {
		return err
	}
	if _, err := bare.LoadProject(context.Background()); err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
		return fmt.Errorf("loading without JWT_SECRET should fail naming it, got: %v", err)
	}
	svc, err := project.GetService("istio-api")
	if err != nil {
		return err
	}
	if svc.User == "" || svc.User == "root" || svc.User == "0" || !svc.ReadOnly || len(svc.CapDrop) == 0 || svc.HealthCheck == nil {
		return fmt.Errorf("istio-api service must run as non-root, read-only, drop capabilities and have a healthcheck")
	}
	if svc.Environment["HOST"] == nil || *svc.Environment["HOST"] != "0.0.0.0" {
		return fmt.Errorf("istio-api service must listen on HOST=0.0.0.0")
	}
	fmt.Printf("ok   compose %v: project %q, services %v, networks %v; refuses to load without JWT_SECRET\n",
		files, project.Name, project.ServiceNames(), svc.NetworksByPriority())
	return nil
}
