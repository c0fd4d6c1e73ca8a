/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The core's lifecycle events (udm_ctx_set_event_callback): which changes
 * tell, in which order, with which names; what fails or changes nothing
 * tells nothing; the callback may look the device up (no lock held). */
#include <stdio.h>
#include <string.h>
#include "testutil.h"

static struct udm_ctx *ctx;
static char log_buf[4096];

static void on_event(void *arg, const struct udm_event *ev)
{
	static const char *const names[] = {
		[UDM_EVENT_RESUMED] = "resumed", [UDM_EVENT_RENAMED] = "renamed", [UDM_EVENT_REMOVED] = "removed",
		[UDM_EVENT_REMOVE_REFUSED] = "refused", [UDM_EVENT_DEFERRED_CANCELLED] = "cancelled",
	};
	(void)arg;
	size_t len = strlen(log_buf);
	snprintf(log_buf + len, sizeof(log_buf) - len, "%s%s %s%s%s%s", len ? " " : "", names[ev->kind], ev->name,
		 ev->old_name ? "<" : "", ev->old_name ? ev->old_name : "", ev->swapped ? "+" : "");
	/* no lock of ctx is held: looking the device up works (it would deadlock) */
	struct udm_info info;
	if (ev->kind != UDM_EVENT_REMOVED)
		assert_int_equal(udm_dev_info(ctx, UDM_BY_NAME(ev->name), 0, &info), 0);
}

static int setup(void **state)
{
	(void)state;
	udm_fault_configure("");
	ctx = udm_ctx_new();
	udm_ctx_set_event_callback(ctx, on_event, NULL);
	log_buf[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	udm_ctx_free(ctx);
	tu_cleanup();
	return 0;
}

#define assert_events(expected) do { assert_string_equal(log_buf, expected); log_buf[0] = '\0'; } while (0)

static void lifecycle_events(void **state)
{
	(void)state;
	assert_int_equal(udm_dev_create(ctx, "d", NULL, 0, 0, NULL), 0);
	assert_int_equal(tu_load(ctx, "d", "0 8 zero\n", 0), 0);
	assert_events("");   /* created, loaded: nothing live yet */
	assert_int_equal(udm_dev_resume(ctx, UDM_BY_NAME("d"), 0, NULL), 0);
	assert_events("resumed d+");
	assert_int_equal(udm_dev_suspend(ctx, UDM_BY_NAME("d"), UDM_F_SUSPEND, NULL), 0);
	assert_events("");
	assert_int_equal(udm_dev_resume(ctx, UDM_BY_NAME("d"), 0, NULL), 0);
	assert_events("resumed d");   /* the same table again */
	struct udm_info info;
	assert_int_equal(udm_dev_rename(ctx, "d", "e", 0, &info), 0);
	assert_events("renamed e<d");
	assert_int_equal(udm_dev_rename(ctx, "e", "uuid-1", UDM_F_UUID, &info), 0);
	assert_events("");   /* a uuid set: no rename */
	assert_int_equal(udm_dev_rename(ctx, "nosuch", "f", 0, &info), -ENXIO);
	assert_events("");

	struct udm_dev *dev;
	assert_int_equal(udm_dev_open(ctx, UDM_BY_NAME("e"), &dev), 0);
	assert_int_equal(udm_dev_remove(ctx, UDM_BY_NAME("e"), 0), -EBUSY);
	assert_events("refused e");
	assert_int_equal(udm_dev_remove(ctx, UDM_BY_NAME("e"), UDM_F_DEFERRED_REMOVE), 0);
	assert_events("");   /* deferred to the last close */
	assert_int_equal(udm_dev_message(ctx, UDM_BY_NAME("e"), 0, "@cancel_deferred_remove", NULL, 0), 0);
	assert_events("cancelled e");
	assert_int_equal(udm_dev_remove(ctx, UDM_BY_NAME("e"), UDM_F_DEFERRED_REMOVE), 0);
	udm_dev_close(dev);
	assert_events("removed e");
	assert_int_equal(udm_dev_remove(ctx, UDM_BY_NAME("e"), 0), -ENXIO);
	assert_events("");
}

static void remove_all_events(void **state)
{
	(void)state;
	assert_int_equal(tu_create(ctx, "a", "0 8 zero\n"), 0);
	assert_int_equal(tu_create(ctx, "b", "0 8 zero\n"), 0);
	assert_int_equal(tu_create(ctx, "c", "0 8 zero\n"), 0);
	assert_events("resumed a+ resumed b+ resumed c+");
	struct udm_dev *dev;
	assert_int_equal(udm_dev_open(ctx, UDM_BY_NAME("b"), &dev), 0);
	assert_int_equal(udm_remove_all(ctx, 0), 1);
	assert_events("removed a removed c refused b");
	udm_dev_close(dev);
	assert_events("");
	assert_int_equal(udm_remove_all(ctx, 0), 0);
	assert_events("removed b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lifecycle_events, setup, teardown),
		cmocka_unit_test_setup_teardown(remove_all_events, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
