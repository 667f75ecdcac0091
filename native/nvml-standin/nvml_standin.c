/*
 * A stand-in libnvidia-ml.so.1: NVML's ABI (compiled against Debian's real nvml.h, so every signature
 * and struct layout is NVML's), answering from a script instead of a GPU. Tests load it through the
 * same FFM bindings the agent uses on a real node, so every native call, buffer-size retry, missing
 * symbol and error code is exercised without a GPU.
 *
 * Built by the Makefile beside this file in two variants:
 *   native/build/nvml-standin/libnvidia-ml.so.1      every symbol the bindings use
 *   native/build/nvml-standin-old/libnvidia-ml.so.1  -DSTANDIN_OLD: no nvmlDeviceGetComputeRunningProcesses
 *       _v3/_v2, no nvmlDeviceGetMemoryInfo_v2, no nvmlDeviceGetProcessUtilization (an older driver)
 *
 * The script (format in README.md beside this file) is named by $EDGEPPO_NVML_STANDIN_SCRIPT or by
 * standin_set_script(); it is read again at every nvmlInit_v2, because a JVM loads this library once
 * and tests need a fresh scenario each time.
 */
#include <nvml.h>

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define MAX_GPUS 16
#define MAX_PROCS 64
#define MAX_RULES 64
#define TEXT 128

/* A function forced to answer `code`; for code == NVML_ERROR_INSUFFICIENT_SIZE with remaining > 0 it
 * answers so only that many times even when the buffer is big enough (processes appearing between the
 * size query and the fetch). gpu -1 = every device. */
typedef struct {
  char function[TEXT];
  int gpu;
  int code;
  int remaining; /* -1 = always */
} rule_t;

struct nvmlDevice_st {
  int index;
  char name[TEXT], uuid[TEXT], bus_id[NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE];
  unsigned int pci_device_id, pci_subsystem_id;
  int has_name, has_uuid, has_pci, has_util, has_memory, has_temp, has_power, has_power_limit;
  int has_clocks, has_ecc, has_throttle, has_mig;
  unsigned int util_gpu, util_mem;
  unsigned long long mem_total, mem_used, mem_reserved;
  int nprocs;
  unsigned int proc_pid[MAX_PROCS];
  unsigned long long proc_mem[MAX_PROCS];
  int nmps;
  unsigned int mps_pid[MAX_PROCS];
  unsigned long long mps_mem[MAX_PROCS];
  int nprocutil;
  nvmlProcessUtilizationSample_t procutil[MAX_PROCS];
  int procutil_live[MAX_PROCS]; /* 1: timestamp "now": a sample stamped at every query (a running process) */
  unsigned int temp, power_mw, power_limit_mw;
  unsigned int clock[4];
  unsigned long long ecc[2][2]; /* [error type][counter type] */
  unsigned long long throttle;
  unsigned int mig_current, mig_pending;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int init_count;
static char script_path[4096];
static char driver_version[TEXT], nvml_version[TEXT];
static int has_driver, has_nvml;
static int ngpus;
static struct nvmlDevice_st gpus[MAX_GPUS];
static int nrules;
static rule_t rules[MAX_RULES];

#define NCALLED 64
static struct { char function[TEXT]; long count; } called[NCALLED];

static int load_script(void);

/* ---- test hooks, not part of NVML ---- */

void standin_set_script(const char *path) {
  pthread_mutex_lock(&lock);
  snprintf(script_path, sizeof script_path, "%s", path ? path : "");
  pthread_mutex_unlock(&lock);
}

/* How often `function` was entered since the last nvmlInit_v2 that read a script. */
long standin_calls(const char *function) {
  long n = 0;
  pthread_mutex_lock(&lock);
  for (int i = 0; i < NCALLED; i++)
    if (called[i].function[0] && strcmp(called[i].function, function) == 0) n = called[i].count;
  pthread_mutex_unlock(&lock);
  return n;
}

/* Reads the script again without an init (tests change the scene under a running agent: a process
 * exits, its memory grows); returns what loading it returned. */
int standin_reload(void) {
  pthread_mutex_lock(&lock);
  int rc = load_script();
  pthread_mutex_unlock(&lock);
  return rc;
}

/* NVML's reference count: nvmlInit_v2 calls not yet matched by nvmlShutdown. */
int standin_init_count(void) {
  pthread_mutex_lock(&lock);
  int n = init_count;
  pthread_mutex_unlock(&lock);
  return n;
}

/* ---- script ---- */

static void count_call(const char *function) {
  for (int i = 0; i < NCALLED; i++) {
    if (called[i].function[0] == 0) snprintf(called[i].function, TEXT, "%s", function);
    if (strcmp(called[i].function, function) == 0) { called[i].count++; return; }
  }
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
  return s;
}

static int parse_error(const char *path, int line, const char *what) {
  fprintf(stderr, "nvml-standin: %s:%d: %s\n", path, line, what);
  return NVML_ERROR_UNKNOWN;
}

static int load_script(void) {
  const char *path = script_path[0] ? script_path : getenv("EDGEPPO_NVML_STANDIN_SCRIPT");
  memset(gpus, 0, sizeof gpus);
  memset(called, 0, sizeof called);
  ngpus = nrules = has_driver = has_nvml = 0;
  if (!path || !*path) {
    fprintf(stderr, "nvml-standin: no script: set EDGEPPO_NVML_STANDIN_SCRIPT\n");
    return NVML_ERROR_UNKNOWN;
  }
  FILE *f = fopen(path, "r");
  if (!f) return parse_error(path, 0, "cannot open the script");
  char buf[1024];
  int line = 0, rc = NVML_SUCCESS;
  struct nvmlDevice_st *g = NULL;
  while (rc == NVML_SUCCESS && fgets(buf, sizeof buf, f)) {
    line++;
    char *hash = strchr(buf, '#');
    if (hash) *hash = 0;
    char *s = trim(buf);
    if (!*s) continue;
    char key[TEXT];
    int used = 0;
    if (sscanf(s, "%127s%n", key, &used) != 1) continue;
    char *rest = trim(s + used);
    if (strcmp(key, "driver") == 0) { snprintf(driver_version, TEXT, "%s", rest); has_driver = 1; }
    else if (strcmp(key, "nvml") == 0) { snprintf(nvml_version, TEXT, "%s", rest); has_nvml = 1; }
    else if (strcmp(key, "gpu") == 0) {
      if (ngpus == MAX_GPUS) { rc = parse_error(path, line, "too many gpus"); break; }
      g = &gpus[ngpus];
      g->index = ngpus++;
    } else if (strcmp(key, "fail") == 0 || strcmp(key, "short") == 0) {
      if (nrules == MAX_RULES) { rc = parse_error(path, line, "too many rules"); break; }
      rule_t *r = &rules[nrules++];
      r->gpu = g ? g->index : -1;
      int n = strcmp(key, "fail") == 0 ? sscanf(rest, "%127s %d", r->function, &r->code)
                                        : sscanf(rest, "%127s %d", r->function, &r->remaining);
      if (n != 2) { rc = parse_error(path, line, "want: fail FUNCTION CODE | short FUNCTION TIMES"); break; }
      if (strcmp(key, "fail") == 0) r->remaining = -1; else r->code = NVML_ERROR_INSUFFICIENT_SIZE;
    } else if (!g) {
      rc = parse_error(path, line, "a device reading before the first 'gpu' line");
    } else if (strcmp(key, "name") == 0) { snprintf(g->name, TEXT, "%s", rest); g->has_name = 1; }
    else if (strcmp(key, "uuid") == 0) { snprintf(g->uuid, TEXT, "%s", rest); g->has_uuid = 1; }
    else if (strcmp(key, "pci") == 0) {
      g->has_pci = sscanf(rest, "%31s %x %x", g->bus_id, &g->pci_device_id, &g->pci_subsystem_id) == 3;
      if (!g->has_pci) rc = parse_error(path, line, "want: pci BUS_ID DEVICE_ID_HEX SUBSYSTEM_ID_HEX");
    } else if (strcmp(key, "util") == 0) {
      g->has_util = sscanf(rest, "%u %u", &g->util_gpu, &g->util_mem) == 2;
      if (!g->has_util) rc = parse_error(path, line, "want: util GPU_PERCENT MEMORY_PERCENT");
    } else if (strcmp(key, "memory") == 0) {
      g->has_memory = sscanf(rest, "%llu %llu %llu", &g->mem_total, &g->mem_used, &g->mem_reserved) == 3
                      && g->mem_used + g->mem_reserved <= g->mem_total;
      if (!g->has_memory) rc = parse_error(path, line, "want: memory TOTAL USED RESERVED (bytes, used+reserved <= total)");
    } else if (strcmp(key, "process") == 0) {
      if (g->nprocs == MAX_PROCS ||
          sscanf(rest, "%u %llu", &g->proc_pid[g->nprocs], &g->proc_mem[g->nprocs]) != 2)
        rc = parse_error(path, line, "want: process PID USED_BYTES");
      else g->nprocs++;
    } else if (strcmp(key, "mps") == 0) {
      if (g->nmps == MAX_PROCS || sscanf(rest, "%u %llu", &g->mps_pid[g->nmps], &g->mps_mem[g->nmps]) != 2)
        rc = parse_error(path, line, "want: mps PID USED_BYTES");
      else g->nmps++;
    } else if (strcmp(key, "procutil") == 0) {
      nvmlProcessUtilizationSample_t *p = &g->procutil[g->nprocutil];
      char stamp[TEXT];
      if (g->nprocutil == MAX_PROCS ||
          sscanf(rest, "%u %u %u %u %u %127s", &p->pid, &p->smUtil, &p->memUtil, &p->encUtil, &p->decUtil, stamp) != 6)
        rc = parse_error(path, line, "want: procutil PID SM MEM ENC DEC TIMESTAMP_US|now");
      else if (strcmp(stamp, "now") == 0) { p->timeStamp = 0; g->procutil_live[g->nprocutil++] = 1; }
      else if (sscanf(stamp, "%llu", &p->timeStamp) == 1) g->procutil_live[g->nprocutil++] = 0;
      else rc = parse_error(path, line, "want: procutil PID SM MEM ENC DEC TIMESTAMP_US|now");
    } else if (strcmp(key, "temp") == 0) {
      g->has_temp = sscanf(rest, "%u", &g->temp) == 1;
      if (!g->has_temp) rc = parse_error(path, line, "want: temp CELSIUS");
    } else if (strcmp(key, "power") == 0) {
      g->has_power = sscanf(rest, "%u", &g->power_mw) == 1;
      if (!g->has_power) rc = parse_error(path, line, "want: power MILLIWATTS");
    } else if (strcmp(key, "powerlimit") == 0) {
      g->has_power_limit = sscanf(rest, "%u", &g->power_limit_mw) == 1;
      if (!g->has_power_limit) rc = parse_error(path, line, "want: powerlimit MILLIWATTS");
    } else if (strcmp(key, "clocks") == 0) {
      g->has_clocks = sscanf(rest, "%u %u %u %u", &g->clock[NVML_CLOCK_GRAPHICS], &g->clock[NVML_CLOCK_SM],
                             &g->clock[NVML_CLOCK_MEM], &g->clock[NVML_CLOCK_VIDEO]) == 4;
      if (!g->has_clocks) rc = parse_error(path, line, "want: clocks GRAPHICS SM MEM VIDEO (MHz)");
    } else if (strcmp(key, "ecc") == 0) {
      g->has_ecc = sscanf(rest, "%llu %llu %llu %llu", &g->ecc[0][0], &g->ecc[1][0], &g->ecc[0][1],
                          &g->ecc[1][1]) == 4;
      if (!g->has_ecc) rc = parse_error(path, line, "want: ecc SBE_VOLATILE DBE_VOLATILE SBE_AGGREGATE DBE_AGGREGATE");
    } else if (strcmp(key, "throttle") == 0) {
      g->has_throttle = sscanf(rest, "%llx", &g->throttle) == 1;
      if (!g->has_throttle) rc = parse_error(path, line, "want: throttle MASK_HEX");
    } else if (strcmp(key, "mig") == 0) {
      g->has_mig = sscanf(rest, "%u %u", &g->mig_current, &g->mig_pending) == 2;
      if (!g->has_mig) rc = parse_error(path, line, "want: mig CURRENT PENDING");
    } else {
      rc = parse_error(path, line, "unknown key");
    }
  }
  fclose(f);
  return rc;
}

/* ---- the common prologue of every NVML function ---- */

/* Counts the call, applies scripted failures; 0 means go on with the real answer. */
static int enter(const char *function, int gpu, int have_room) {
  count_call(function);
  for (int i = 0; i < nrules; i++) {
    rule_t *r = &rules[i];
    if (strcmp(r->function, function) != 0 || (r->gpu != -1 && r->gpu != gpu)) continue;
    if (r->remaining == -1) return r->code;
    if (r->remaining > 0 && have_room) { r->remaining--; return r->code; }
  }
  return NVML_SUCCESS;
}

#define DEVICE_CALL(fn, dev, room)                                                   \
  pthread_mutex_lock(&lock);                                                        \
  int rc_ = init_count == 0 ? NVML_ERROR_UNINITIALIZED                              \
          : ((dev) == NULL || (dev)->index < 0 || (dev)->index >= ngpus)            \
              ? NVML_ERROR_INVALID_ARGUMENT : enter(fn, (dev)->index, room);        \
  if (rc_ != NVML_SUCCESS) { pthread_mutex_unlock(&lock); return rc_; }

#define RETURN(code) do { int c_ = (code); pthread_mutex_unlock(&lock); return c_; } while (0)

static int copy_text(char *out, unsigned int length, const char *text) {
  if (out == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  if (strlen(text) + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
  memcpy(out, text, strlen(text) + 1);
  return NVML_SUCCESS;
}

/* ---- lifecycle ---- */

nvmlReturn_t nvmlInit_v2(void) {
  pthread_mutex_lock(&lock);
  int rc = load_script();
  if (rc == NVML_SUCCESS) rc = enter("nvmlInit_v2", -1, 1);
  if (rc == NVML_SUCCESS) init_count++;
  RETURN(rc);
}

nvmlReturn_t nvmlShutdown(void) {
  pthread_mutex_lock(&lock);
  if (init_count == 0) RETURN(NVML_ERROR_UNINITIALIZED);
  int rc = enter("nvmlShutdown", -1, 1);
  init_count--;
  RETURN(rc);
}

/* The texts of libnvidia-ml.so.1 535.261.03 (Debian's libnvidia-ml1), so messages read as on a node. */
const char *nvmlErrorString(nvmlReturn_t result) {
  static const char *text[] = {
      "Success", "Uninitialized", "Invalid Argument", "Not Supported", "Insufficient Permissions",
      "Already Initialized", "Not Found", "Insufficient Size", "Insufficient External Power",
      "Driver Not Loaded", "Timeout", "Interrupt Request Issue", "NVML Shared Library Not Found",
      "Function Not Found", "Corrupted infoROM", "GPU is lost", "GPU requires reset",
      "GPU access blocked by the operating system", "Driver/library version mismatch",
      "In use by another client", "Insufficient Memory", "No data", "vGPU ECC not supported",
      "Insufficient Resources", "Invalid Frequency", "Argument version mismatch"};
  if ((unsigned)result < sizeof text / sizeof text[0]) return text[result];
  return "Unknown Error";
}

/* ---- system ---- */

static nvmlReturn_t system_text(const char *fn, int has, const char *value, char *out, unsigned int length) {
  pthread_mutex_lock(&lock);
  if (init_count == 0) RETURN(NVML_ERROR_UNINITIALIZED);
  int rc = enter(fn, -1, 1);
  if (rc != NVML_SUCCESS) RETURN(rc);
  if (!has) RETURN(NVML_ERROR_NOT_SUPPORTED);
  RETURN(copy_text(out, length, value));
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
  return system_text("nvmlSystemGetDriverVersion", has_driver, driver_version, version, length);
}

nvmlReturn_t nvmlSystemGetNVMLVersion(char *version, unsigned int length) {
  return system_text("nvmlSystemGetNVMLVersion", has_nvml, nvml_version, version, length);
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount) {
  pthread_mutex_lock(&lock);
  if (init_count == 0) RETURN(NVML_ERROR_UNINITIALIZED);
  int rc = enter("nvmlDeviceGetCount_v2", -1, 1);
  if (rc != NVML_SUCCESS) RETURN(rc);
  if (!deviceCount) RETURN(NVML_ERROR_INVALID_ARGUMENT);
  *deviceCount = (unsigned)ngpus;
  RETURN(NVML_SUCCESS);
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
  pthread_mutex_lock(&lock);
  if (init_count == 0) RETURN(NVML_ERROR_UNINITIALIZED);
  int rc = enter("nvmlDeviceGetHandleByIndex_v2", (int)index, 1);
  if (rc != NVML_SUCCESS) RETURN(rc);
  if (!device || index >= (unsigned)ngpus) RETURN(NVML_ERROR_INVALID_ARGUMENT);
  *device = &gpus[index];
  RETURN(NVML_SUCCESS);
}

/* ---- identity ---- */

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
  DEVICE_CALL("nvmlDeviceGetName", device, 1);
  if (!device->has_name) RETURN(NVML_ERROR_NOT_SUPPORTED);
  RETURN(copy_text(name, length, device->name));
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
  DEVICE_CALL("nvmlDeviceGetUUID", device, 1);
  if (!device->has_uuid) RETURN(NVML_ERROR_NOT_SUPPORTED);
  RETURN(copy_text(uuid, length, device->uuid));
}

nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci) {
  DEVICE_CALL("nvmlDeviceGetPciInfo_v3", device, 1);
  if (!device->has_pci) RETURN(NVML_ERROR_NOT_SUPPORTED);
  if (!pci) RETURN(NVML_ERROR_INVALID_ARGUMENT);
  memset(pci, 0, sizeof *pci);
  snprintf(pci->busId, sizeof pci->busId, "%s", device->bus_id);
  unsigned domain = 0, bus = 0, dev = 0;
  sscanf(device->bus_id, "%x:%x:%x", &domain, &bus, &dev);
  snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "%04x:%02x:%02x.0", domain & 0xffffu, bus & 0xffu, dev & 0x1fu);
  pci->domain = domain;
  pci->bus = bus;
  pci->device = dev;
  pci->pciDeviceId = device->pci_device_id;
  pci->pciSubSystemId = device->pci_subsystem_id;
  RETURN(NVML_SUCCESS);
}

/* ---- utilization and memory ---- */

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization) {
  DEVICE_CALL("nvmlDeviceGetUtilizationRates", device, 1);
  if (!device->has_util) RETURN(NVML_ERROR_NOT_SUPPORTED);
  if (!utilization) RETURN(NVML_ERROR_INVALID_ARGUMENT);
  utilization->gpu = device->util_gpu;
  utilization->memory = device->util_mem;
  RETURN(NVML_SUCCESS);
}

/* v1 counts the driver's reserved memory as used, as drivers before R510 did. */
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
  DEVICE_CALL("nvmlDeviceGetMemoryInfo", device, 1);
  if (!device->has_memory) RETURN(NVML_ERROR_NOT_SUPPORTED);
  if (!memory) RETURN(NVML_ERROR_INVALID_ARGUMENT);
  memory->total = device->mem_total;
  memory->used = device->mem_used + device->mem_reserved;
  memory->free = device->mem_total - memory->used;
  RETURN(NVML_SUCCESS);
}

#ifndef STANDIN_OLD
nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory) {
  DEVICE_CALL("nvmlDeviceGetMemoryInfo_v2", device, 1);
  if (!device->has_memory) RETURN(NVML_ERROR_NOT_SUPPORTED);
  if (!memory) RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (memory->version != nvmlMemory_v2) RETURN(NVML_ERROR_ARGUMENT_VERSION_MISMATCH);
  memory->total = device->mem_total;
  memory->reserved = device->mem_reserved;
  memory->used = device->mem_used;
  memory->free = device->mem_total - device->mem_used - device->mem_reserved;
  RETURN(NVML_SUCCESS);
}
#endif

/* ---- running compute processes: NVML's two-call protocol ---- */

/* Answers INSUFFICIENT_SIZE with the needed count when the caller's room is too small (or when a
 * `short` rule says processes appeared meanwhile); fills `write(i)` otherwise. */
#define PROCESS_LIST_OF(fn, device, infoCount, infos, n, ...)                               \
  pthread_mutex_lock(&lock);                                                          \
  if (init_count == 0) RETURN(NVML_ERROR_UNINITIALIZED);                              \
  if (!device || device->index < 0 || device->index >= ngpus || !infoCount)           \
    RETURN(NVML_ERROR_INVALID_ARGUMENT);                                              \
  int have_room_ = *infoCount >= (unsigned)device->n;                            \
  int rc_ = enter(fn, device->index, have_room_);                                     \
  if (rc_ == NVML_ERROR_INSUFFICIENT_SIZE) { *infoCount = (unsigned)device->n + 1; RETURN(rc_); } \
  if (rc_ != NVML_SUCCESS) RETURN(rc_);                                               \
  if (!have_room_) { *infoCount = (unsigned)device->n; RETURN(NVML_ERROR_INSUFFICIENT_SIZE); } \
  if (device->n > 0 && !infos) RETURN(NVML_ERROR_INVALID_ARGUMENT);               \
  for (int i = 0; i < device->n; i++) { __VA_ARGS__; }                                  \
  *infoCount = (unsigned)device->n;                                              \
  RETURN(NVML_SUCCESS);

#define PROCESS_LIST(fn, device, infoCount, infos, ...) PROCESS_LIST_OF(fn, device, infoCount, infos, nprocs, __VA_ARGS__)

#ifndef STANDIN_OLD
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *infoCount,
                                                     nvmlProcessInfo_t *infos) {
  PROCESS_LIST("nvmlDeviceGetComputeRunningProcesses_v3", device, infoCount, infos,
               infos[i] = (nvmlProcessInfo_t){.pid = device->proc_pid[i], .usedGpuMemory = device->proc_mem[i],
                                              .gpuInstanceId = 0xFFFFFFFF, .computeInstanceId = 0xFFFFFFFF})
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t device, unsigned int *infoCount,
                                                     nvmlProcessInfo_v2_t *infos) {
  PROCESS_LIST("nvmlDeviceGetComputeRunningProcesses_v2", device, infoCount, infos,
               infos[i] = (nvmlProcessInfo_v2_t){.pid = device->proc_pid[i], .usedGpuMemory = device->proc_mem[i],
                                                 .gpuInstanceId = 0xFFFFFFFF, .computeInstanceId = 0xFFFFFFFF})
}

/* Clients of an MPS server, listed apart from the compute processes as NVML does. */
nvmlReturn_t nvmlDeviceGetMPSComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *infoCount,
                                                        nvmlProcessInfo_t *infos) {
  PROCESS_LIST_OF("nvmlDeviceGetMPSComputeRunningProcesses_v3", device, infoCount, infos, nmps,
                  infos[i] = (nvmlProcessInfo_t){.pid = device->mps_pid[i], .usedGpuMemory = device->mps_mem[i],
                                                 .gpuInstanceId = 0xFFFFFFFF, .computeInstanceId = 0xFFFFFFFF})
}
#endif

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t device, unsigned int *infoCount,
                                                  nvmlProcessInfo_v1_t *infos) {
  PROCESS_LIST("nvmlDeviceGetComputeRunningProcesses", device, infoCount, infos,
               infos[i] = (nvmlProcessInfo_v1_t){.pid = device->proc_pid[i], .usedGpuMemory = device->proc_mem[i]})
}

#ifndef STANDIN_OLD
/* Samples newer than lastSeenTimeStamp; NOT_FOUND when there are none, as NVML answers. */
nvmlReturn_t nvmlDeviceGetProcessUtilization(nvmlDevice_t device, nvmlProcessUtilizationSample_t *utilization,
                                             unsigned int *processSamplesCount, unsigned long long lastSeenTimeStamp) {
  DEVICE_CALL("nvmlDeviceGetProcessUtilization", device, 1);
  if (!processSamplesCount) RETURN(NVML_ERROR_INVALID_ARGUMENT);
  /* A live process's sample is stamped with the CPU time of the query, as NVML stamps its samples
   * (microseconds since the epoch): one sample per process per query, newer than any seen before. */
  struct timeval tv;
  gettimeofday(&tv, NULL);
  unsigned long long now = (unsigned long long)tv.tv_sec * 1000000ull + (unsigned long long)tv.tv_usec;
  for (int i = 0; i < device->nprocutil; i++)
    if (device->procutil_live[i]) device->procutil[i].timeStamp = now;
  unsigned n = 0;
  for (int i = 0; i < device->nprocutil; i++) n += device->procutil[i].timeStamp > lastSeenTimeStamp;
  if (n == 0) RETURN(NVML_ERROR_NOT_FOUND);
  if (!utilization || *processSamplesCount < n) { *processSamplesCount = n; RETURN(NVML_ERROR_INSUFFICIENT_SIZE); }
  unsigned k = 0;
  for (int i = 0; i < device->nprocutil; i++)
    if (device->procutil[i].timeStamp > lastSeenTimeStamp) utilization[k++] = device->procutil[i];
  *processSamplesCount = n;
  RETURN(NVML_SUCCESS);
}
#endif

/* ---- thermal, power, clocks, ECC, throttling, MIG ---- */

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, nvmlTemperatureSensors_t sensorType, unsigned int *temp) {
  DEVICE_CALL("nvmlDeviceGetTemperature", device, 1);
  if (sensorType != NVML_TEMPERATURE_GPU || !temp) RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (!device->has_temp) RETURN(NVML_ERROR_NOT_SUPPORTED);
  *temp = device->temp;
  RETURN(NVML_SUCCESS);
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power) {
  DEVICE_CALL("nvmlDeviceGetPowerUsage", device, 1);
  if (!power) RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (!device->has_power) RETURN(NVML_ERROR_NOT_SUPPORTED);
  *power = device->power_mw;
  RETURN(NVML_SUCCESS);
}

nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t device, unsigned int *limit) {
  DEVICE_CALL("nvmlDeviceGetEnforcedPowerLimit", device, 1);
  if (!limit) RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (!device->has_power_limit) RETURN(NVML_ERROR_NOT_SUPPORTED);
  *limit = device->power_limit_mw;
  RETURN(NVML_SUCCESS);
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimit(nvmlDevice_t device, unsigned int *limit) {
  DEVICE_CALL("nvmlDeviceGetPowerManagementLimit", device, 1);
  if (!limit) RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (!device->has_power_limit) RETURN(NVML_ERROR_NOT_SUPPORTED);
  *limit = device->power_limit_mw;
  RETURN(NVML_SUCCESS);
}

nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, nvmlClockType_t type, unsigned int *clock) {
  DEVICE_CALL("nvmlDeviceGetClockInfo", device, 1);
  if ((unsigned)type > NVML_CLOCK_VIDEO || !clock) RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (!device->has_clocks) RETURN(NVML_ERROR_NOT_SUPPORTED);
  *clock = device->clock[type];
  RETURN(NVML_SUCCESS);
}

nvmlReturn_t nvmlDeviceGetTotalEccErrors(nvmlDevice_t device, nvmlMemoryErrorType_t errorType,
                                         nvmlEccCounterType_t counterType, unsigned long long *eccCounts) {
  DEVICE_CALL("nvmlDeviceGetTotalEccErrors", device, 1);
  if ((unsigned)errorType > 1 || (unsigned)counterType > 1 || !eccCounts) RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (!device->has_ecc) RETURN(NVML_ERROR_NOT_SUPPORTED);
  *eccCounts = device->ecc[errorType][counterType];
  RETURN(NVML_SUCCESS);
}

nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t device, unsigned long long *reasons) {
  DEVICE_CALL("nvmlDeviceGetCurrentClocksThrottleReasons", device, 1);
  if (!reasons) RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (!device->has_throttle) RETURN(NVML_ERROR_NOT_SUPPORTED);
  *reasons = device->throttle;
  RETURN(NVML_SUCCESS);
}

nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *currentMode, unsigned int *pendingMode) {
  DEVICE_CALL("nvmlDeviceGetMigMode", device, 1);
  if (!currentMode || !pendingMode) RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (!device->has_mig) RETURN(NVML_ERROR_NOT_SUPPORTED);
  *currentMode = device->mig_current;
  *pendingMode = device->mig_pending;
  RETURN(NVML_SUCCESS);
}
