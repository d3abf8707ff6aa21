# Reference values for tests/stats/analysis: run with
#   python -c "import pyreadstat; d,_ = pyreadstat.read_xport('tests/data/cdiscpilot01/adam/adtte.xpt'); d[['USUBJID','TRTA','AVAL','CNSR']].to_csv('/tmp/adtte.csv', index=False)"
#   Rscript tests/stats/analysis/reference/r_reference.R /tmp/adtte.csv > tests/stats/analysis/reference/r_reference.out
# Produced with R 4.x (Debian r-base-core), survival 3.x, nlme 3.1 (Debian r-cran-survival, r-cran-nlme).
suppressMessages({library(survival); library(nlme)})
options(digits = 10)
args <- commandArgs(trailingOnly = TRUE)
show <- function(name, x) cat(name, ":", format(x, digits = 10), "\n")

cat("== Fisher and chi-squared ==\n")
tea <- matrix(c(3, 1, 1, 3), 2, byrow = TRUE)          # Agresti, tea tasting
f <- fisher.test(tea); show("tea fisher p", f$p.value); show("tea OR", f$estimate); show("tea OR CI", f$conf.int)
show("tea chisq", chisq.test(tea, correct = FALSE)$statistic); show("tea chisq p", chisq.test(tea, correct = FALSE)$p.value)
show("tea yates", suppressWarnings(chisq.test(tea))$statistic); show("tea yates p", suppressWarnings(chisq.test(tea))$p.value)
asp <- matrix(c(189, 11034 - 189, 104, 11037 - 104), 2, byrow = TRUE)  # Agresti, aspirin and MI
show("aspirin chisq", chisq.test(asp, correct = FALSE)$statistic); show("aspirin chisq p", chisq.test(asp, correct = FALSE)$p.value)
show("aspirin yates", chisq.test(asp)$statistic)
rr <- (189 / 11034) / (104 / 11037); se <- sqrt(1/189 - 1/11034 + 1/104 - 1/11037)
show("aspirin RR", rr); show("aspirin RR Katz CI", exp(log(rr) + c(-1, 1) * qnorm(0.975) * se))
show("aspirin fisher OR CI", fisher.test(asp)$conf.int)
shu <- matrix(c(0, 12, 3, 26), 2, byrow = TRUE)        # Shu et al. 2020, 28-day deaths 0/12 vs 3/29
show("shu fisher p", fisher.test(shu)$p.value); show("shu OR CI", fisher.test(shu)$conf.int)
stroma <- matrix(c(6, 15, 6, 18), 2, byrow = TRUE)     # STROMA-CoV-2, SAE 6/21 vs 6/24
show("stroma fisher p", fisher.test(stroma)$p.value); show("stroma OR", fisher.test(stroma)$estimate)
show("stroma OR CI", fisher.test(stroma)$conf.int)
show("stroma chisq", chisq.test(stroma, correct = FALSE)$statistic); show("stroma chisq p", chisq.test(stroma, correct = FALSE)$p.value)

cat("== Newcombe method 10 from R's Wilson limits (prop.test, correct = FALSE) ==\n")
newcombe <- function(x1, n1, x2, n2) {
  w <- function(x, n) suppressWarnings(prop.test(x, n, correct = FALSE)$conf.int)
  p1 <- x1 / n1; p2 <- x2 / n2; a <- w(x1, n1); b <- w(x2, n2)
  c(p1 - p2 - sqrt((p1 - a[1])^2 + (b[2] - p2)^2), p1 - p2 + sqrt((a[2] - p1)^2 + (p2 - b[1])^2))
}
for (ex in list(c(56, 70, 48, 80), c(9, 10, 3, 10), c(6, 7, 2, 7), c(5, 56, 0, 29),
                c(0, 10, 0, 20), c(0, 10, 0, 10), c(10, 10, 0, 20), c(10, 10, 0, 10), c(6, 21, 6, 24)))
  show(paste("newcombe", paste(ex, collapse = "/")), newcombe(ex[1], ex[2], ex[3], ex[4]))

cat("== aml (survival package) ==\n")
print(survdiff(Surv(time, status) ~ x, data = aml))
show("aml logrank chisq", survdiff(Surv(time, status) ~ x, data = aml)$chisq)
aml$x <- relevel(aml$x, ref = "Maintained")
fit <- coxph(Surv(time, status) ~ x, data = aml)
show("aml cox coef", coef(fit)); show("aml cox se", sqrt(vcov(fit))); show("aml cox CI", exp(confint(fit)))
show("aml cox wald p", summary(fit)$coefficients[, 5])
km <- survfit(Surv(time, status) ~ x, data = aml, conf.type = "log-log")
print(summary(km)$table)
s <- summary(km, times = c(10, 30)); print(data.frame(strata = s$strata, time = s$time, n.risk = s$n.risk, surv = s$surv, lower = s$lower, upper = s$upper))

cat("== median rule: S exactly 0.5 over an interval ==\n")
print(summary(survfit(Surv(c(1, 2, 3, 4), c(1, 1, 1, 1)) ~ 1, conf.type = "log-log"))$table)
print(summary(survfit(Surv(c(1, 2, 3, 4, 5, 6), c(1, 1, 1, 0, 1, 0)) ~ 1, conf.type = "log-log"))$table)

if (length(args) >= 1) {
  cat("== CDISC pilot ADTTE: Xanomeline High Dose vs Placebo ==\n")
  d <- read.csv(args[1]); d$EVENT <- 1 - d$CNSR
  d <- d[d$TRTA != "Xanomeline Low Dose", ]
  d$TRTA <- factor(d$TRTA, levels = c("Placebo", "Xanomeline High Dose"))
  show("adtte logrank chisq", survdiff(Surv(AVAL, EVENT) ~ TRTA, data = d)$chisq)
  fit <- coxph(Surv(AVAL, EVENT) ~ TRTA, data = d)
  show("adtte cox coef", coef(fit)); show("adtte cox se", sqrt(vcov(fit))); show("adtte cox CI", exp(confint(fit)))
  km <- survfit(Surv(AVAL, EVENT) ~ TRTA, data = d, conf.type = "log-log")
  print(summary(km)$table)
  s <- summary(km, times = c(30, 90, 180)); print(data.frame(strata = s$strata, time = s$time, n.risk = s$n.risk, surv = s$surv, lower = s$lower, upper = s$upper))
}

cat("== wilcox.test ==\n")
x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46)   # R's ?wilcox.test example
y <- c(1.15, 0.88, 0.90, 0.74, 1.21)
w <- wilcox.test(x, y, conf.int = TRUE); show("exact W", w$statistic); show("exact p", w$p.value)
show("exact CI", w$conf.int); show("exact estimate", w$estimate)
a <- c(0, 0, 0, 12, 15, 18, 20, 21, 22, 22, 23, 24, 25, 0, 19)      # ventilator-free days, ties
b <- c(0, 0, 0, 0, 5, 10, 14, 16, 18, 18, 20, 21, 0, 0, 12, 17)
w <- suppressWarnings(wilcox.test(a, b, conf.int = TRUE)); show("vfd W", w$statistic); show("vfd p", w$p.value)
show("vfd CI", w$conf.int); show("vfd estimate", w$estimate)

cat("== ANCOVA ==\n")
pf <- data.frame(
  g = c(rep("group 1", 11), rep("group 2", 10)),
  b = c(110, 95, 150, 130, 88, 160, 120, 105, 140, 99, 118, 100, 125, 90, 145, 115, 135, 108, 97, 128, 112),
  f = c(180, 120, 210, NA, 150, 230, 160, 140, 200, 130, 175, 130, 170, 100, 190, 140, NA, 150, 115, 160, 150))
pf$ga <- as.numeric(pf$g == "group 1")
m <- lm(I(f - b) ~ ga + b, data = pf)
print(summary(m)$coefficients); show("ancova CI", confint(m)["ga", ]); show("ancova df", m$df.residual)

cat("== nlme::lme, REML, random intercept ==\n")
cy <- read.csv(text = "id,arm,day,il6
P00,group 1,0,19.9\nP00,group 1,3,15.4\nP00,group 1,7,6.4\nP00,group 1,14,4.2
P01,group 2,0,11.4\nP01,group 2,3,8.1\nP01,group 2,7,9.2\nP01,group 2,14,2.8
P02,group 1,0,25.8\nP02,group 1,3,27.4\nP02,group 1,7,15.6\nP02,group 1,14,8.8
P03,group 2,0,20.5\nP03,group 2,3,12.7\nP03,group 2,14,8.3
P04,group 1,0,12.7\nP04,group 1,3,8.2\nP04,group 1,7,12.1\nP04,group 1,14,5.1
P05,group 2,0,3.5\nP05,group 2,3,3.5\nP05,group 2,7,2.3\nP05,group 2,14,1.0
P06,group 1,0,17.0\nP06,group 1,3,9.3\nP06,group 1,7,5.9
P07,group 2,0,19.0\nP07,group 2,3,11.8\nP07,group 2,7,13.5\nP07,group 2,14,12.2
P08,group 1,0,8.3\nP08,group 1,3,10.1\nP08,group 1,7,7.3\nP08,group 1,14,6.1
P09,group 2,0,5.1\nP09,group 2,7,3.6\nP09,group 2,14,1.0
P10,group 1,0,15.6\nP10,group 1,3,8.1\nP10,group 1,7,12.9\nP10,group 1,14,6.5
P11,group 2,0,19.2\nP11,group 2,3,20.7\nP11,group 2,7,7.9\nP11,group 2,14,11.8
P12,group 1,0,8.9\nP12,group 1,3,15.1\nP12,group 1,7,9.2\nP12,group 1,14,8.1
P13,group 2,0,9.7\nP13,group 2,3,9.8\nP13,group 2,7,5.4\nP13,group 2,14,6.9")
# Two values were "<2" with LOD 2; the half-LOD rule gives 1.0 (P05 and P09, day 14).
cy$ga <- as.numeric(cy$arm == "group 1"); cy$fday <- factor(cy$day)
m <- lme(log(il6) ~ ga * fday, random = ~ 1 | id, data = cy, method = "REML")
print(summary(m)$tTable[, 1:2]); print(VarCorr(m)); show("lme logLik", logLik(m))
V <- vcov(m)
for (k in c("3", "7", "14")) {
  cvec <- setNames(rep(0, length(fixef(m))), names(fixef(m))); cvec["ga"] <- 1; cvec[paste0("ga:fday", k)] <- 1
  est <- sum(cvec * fixef(m)); se <- sqrt(drop(t(cvec) %*% V %*% cvec))
  show(paste("lme GMR day", k), exp(est + c(0, -1, 1) * qnorm(0.975) * se))
}
show("lme GMR day 0", exp(fixef(m)["ga"] + c(0, -1, 1) * qnorm(0.975) * sqrt(V["ga", "ga"])))
