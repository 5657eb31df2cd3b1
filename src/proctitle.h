/* Process titles as nginx's ("hush: master process ...", "hush: worker
 * process"), written over the argument area that ps and /proc/PID/cmdline
 * show; and the original command line, kept for a binary upgrade. */
#ifndef HS_PROCTITLE_H
#define HS_PROCTITLE_H

/* Copies argv and the environment away, so that their area can be reused;
 * returns the copy of argv (argv itself if there is no memory). */
char **hs_proctitle_init(int argc, char **argv);
void hs_proctitle_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The command line as it was given (NULL-terminated), and as one string. */
char *const *hs_proctitle_argv(void);
const char *hs_proctitle_cmdline(void);

#endif
