#include "report.h"
void ls_report_html(const ls_report *rp, FILE *out) { (void)rp; fputs("<html></html>\n", out); }
