/*
** test_review_paid.c — parts of a paid build against mock-replicate (tests/review/
** paid.vscript: two generated shots and a card): `vsc build --scene` after a full build
** creates no prediction and is billed nothing; a full build after `--scene` pays only for
** the scenes the part did not make (the part's clip is reused, never generated twice), and
** the part's sheet is drawn from what is cached.
**
** `test_review_paid CASE` runs one case, each with its own mock and temp directory.
*/
#include "e2e_env.h"

#define SCRIPT "tests/review/paid.vscript"

static long creates(env_t *e) { return requests(e, CREATE_OFFICIAL) + requests(e, CREATE_VERSIONED); }

/* `vsc build SCRIPT --preview --progress plain --scene NAME [--sheet]` (default output). */
static int build_scene(env_t *e, const char *name, bool sheet) {
  const char *args[] = {"build", e->script, "--preview", "--progress", "plain", "--scene", name, sheet ? "--sheet" : NULL,
                        NULL};
  int rc = run_vsc(e, args, NULL, 0);
  if (rc != 0) {
    char *t = vsc_test_slurp(e->last_err, NULL);
    fprintf(stderr, "--- vsc build --scene %s exited %d:\n%s\n---\n", name, rc, t ? t : "");
    free(t);
  }
  return rc;
}

static void t_scene_after_full(void) {
  env_t e;
  json_t *b1 = NULL, *b2 = NULL;
  char part[600], sheet[600];
  REQUIRE(setup(&e, SCRIPT, NULL) == 0 && load_ir(&e) == 0, "setup");
  REQUIRE(build(&e, NULL, NULL) == 0, "full build");
  b1 = mock_get(&e, "/_mock/billing");
  long made = creates(&e);
  REQUIRE(made == 2 && json_integer_value(json_object_get(b1, "count")) == 2, "%ld predictions for two shots", made);
  REQUIRE(build_scene(&e, "field", true) == 0);
  b2 = mock_get(&e, "/_mock/billing");
  CHECK(creates(&e) == made, "the part created %ld predictions", creates(&e) - made);
  CHECK(json_integer_value(json_object_get(b2, "count")) == 2 &&
            json_number_value(json_object_get(b2, "total")) == json_number_value(json_object_get(b1, "total")),
        "the part was billed");
  snprintf(part, sizeof part, "%s/paid.scene-field.preview.mp4", e.dir);
  snprintf(sheet, sizeof sheet, "%s/paid.scene-field.preview.sheet.png", e.dir);
  CHECK(access(part, F_OK) == 0 && access(sheet, F_OK) == 0, "the part and its sheet were written");
  CHECK(!vsc_test_file_has(e.last_err, "generate"), "the part ran a generation");
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  json_decref(b1);
  json_decref(b2);
  teardown(&e);
}

static void t_full_after_scene(void) {
  env_t e;
  json_t *b = NULL;
  REQUIRE(setup(&e, SCRIPT, NULL) == 0 && load_ir(&e) == 0, "setup");
  REQUIRE(build_scene(&e, "kite", false) == 0);
  REQUIRE(creates(&e) == 1, "the part of one shot created %ld predictions", creates(&e));
  REQUIRE(build(&e, NULL, NULL) == 0, "full build");
  b = mock_get(&e, "/_mock/billing");
  CHECK(creates(&e) == 2 && json_integer_value(json_object_get(b, "count")) == 2,
        "%ld predictions in all for two shots: the part's clip was made again", creates(&e));
  check_complete(&e);
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  json_decref(b);
  teardown(&e);
}

static const vsc_test_case cases[] = {
#define VSC_TEST_CASE(name) VSC_TEST_ENTRY(t_, name)
#include "test_review_paid.def"
#undef VSC_TEST_CASE
};

int main(int argc, char **argv) { return vsc_test_main(argc, argv, cases, VSC_TEST_COUNT(cases)); }
