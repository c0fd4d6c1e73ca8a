/* Argument parsing shared by the target constructors, with the kernel's exact
 * acceptance rules (sscanf "%u%c"/"%llu%c", kstrtouint, dm_read_arg). */
#ifndef UDM_TARG_ARGS_H
#define UDM_TARG_ARGS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

/* The kernel's sscanf(s, "%llu%c", &v, &c) == 1: a digit first (no sign, no
 * space), digits to the end. Like the kernel's simple_strntoull, an overlong
 * number wraps instead of failing; the oracle confirms it (fl-upwrap). */
static inline bool targ_scan_u64(const char *s, uint64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return false;
	uint64_t v = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	if (*s)
		return false;
	*out = v;
	return true;
}

/* sscanf(s, "%u%c", &v, &c) == 1: the same, truncated to 32 bits. */
static inline bool targ_scan_uint(const char *s, unsigned *out)
{
	uint64_t v;
	if (!targ_scan_u64(s, &v))
		return false;
	*out = (unsigned)v;
	return true;
}

/* kstrtouint(s, 10, &v) == 0: an optional '+', at least one digit, one
 * optional trailing newline; overflow is refused, not wrapped. */
static inline bool targ_kstrtouint(const char *s, unsigned *out)
{
	if (!s)
		return false;
	if (*s == '+')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	uint64_t v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	if (*s == '\n')
		s++;
	if (*s)
		return false;
	*out = (unsigned)v;
	return true;
}

/* struct dm_arg_set / struct dm_arg and their readers (dm-table.c). */
struct targ_arg_set {
	unsigned argc;
	char **argv;
};

struct targ_arg {
	unsigned min, max;
	const char *error;
};

static inline const char *targ_shift_arg(struct targ_arg_set *as)
{
	if (!as->argc)
		return NULL;
	as->argc--;
	return *as->argv++;
}

/* validate_next_arg(): a "%u" in [min, max]; for a group count, also no more
 * than the arguments left. The error text is the table entry's. */
static inline int targ_validate_next_arg(const struct targ_arg *arg, struct targ_arg_set *as,
					 unsigned *value, const char **error, bool grouped)
{
	const char *s = targ_shift_arg(as);
	if (!s || !targ_scan_uint(s, value) || *value < arg->min || *value > arg->max ||
	    (grouped && as->argc < *value)) {
		*error = arg->error;
		return -EINVAL;
	}
	return 0;
}

static inline int targ_read_arg(const struct targ_arg *arg, struct targ_arg_set *as, unsigned *value,
				const char **error)
{
	return targ_validate_next_arg(arg, as, value, error, false);
}

static inline int targ_read_arg_group(const struct targ_arg *arg, struct targ_arg_set *as,
				      unsigned *value, const char **error)
{
	return targ_validate_next_arg(arg, as, value, error, true);
}

#endif
