/*
 * sys/capability.h for the Windows build of the simulated DC: the few libcap
 * calls the simulator makes to check its caller, answered from the process
 * token instead. CAP_DAC_READ_SEARCH stands for SeBackupPrivilege and
 * CAP_DAC_OVERRIDE for SeRestorePrivilege (docs/DSBACKUP.md §6):
 * "effective" means the privilege is enabled in the token. Implemented in
 * dcsim/win/capability_win32.c.
 */
#ifndef ADBK_W32_SYS_CAPABILITY_H
#define ADBK_W32_SYS_CAPABILITY_H
typedef struct plat_w32_cap *cap_t;
typedef int cap_value_t;
typedef enum { CAP_CLEAR = 0, CAP_SET = 1 } cap_flag_value_t;
typedef enum { CAP_EFFECTIVE = 0, CAP_PERMITTED = 1, CAP_INHERITABLE = 2 } cap_flag_t;
#define CAP_CHOWN 0
#define CAP_DAC_OVERRIDE 1
#define CAP_DAC_READ_SEARCH 2
#define CAP_FOWNER 3
cap_t cap_get_proc(void);
int cap_get_flag(cap_t c, cap_value_t v, cap_flag_t which, cap_flag_value_t *out);
int cap_set_flag(cap_t c, cap_flag_t which, int n, const cap_value_t *v, cap_flag_value_t val);
int cap_set_proc(cap_t c);
int cap_free(void *p);
#endif
