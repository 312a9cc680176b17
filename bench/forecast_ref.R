# bench/forecast_ref.R: R forecast's methods under the rolling-origin protocol.
#
# Reads a task list written by `bench/forecast.py tasks` (id, dir, origin,
# period, horizon, group, arima_limit: fit on the first `origin` values of
# train + test, forecast `horizon` steps) and appends, per task and method, the forecasts
# and 80 / 95 % bounds to OUT as CSV rows
#   id,origin,method,step,point,lo80,hi80,lo95,hi95,seconds
# (seconds = CPU time of that fit and forecast). Tasks already in OUT are
# skipped, so an interrupted run resumes. `bench/forecast.py rscore` turns
# OUT into the reference table under bench/forecast-ref/.
#
# Methods with default settings, as in the development set's r_reference:
# naive, snaive (period > 1), ets, auto.arima, thetaf, croston (intermittent
# group; point forecasts only). auto.arima gets ARIMA_LIMIT seconds of CPU
# (default 120) per fit; a fit that takes longer is recorded as NA.
#
# Usage: Rscript forecast_ref.R TASKS OUT [ARIMA_LIMIT]
suppressPackageStartupMessages(library(forecast))

args <- commandArgs(trailingOnly = TRUE)
tasks <- read.csv(args[1], stringsAsFactors = FALSE)
out <- args[2]

read_values <- function(path) scan(path, quiet = TRUE)

done <- character(0)
if (file.exists(out)) {
  prev <- read.csv(out, stringsAsFactors = FALSE)
  done <- unique(paste(prev$id, prev$origin))
} else {
  cat("id,origin,method,step,point,lo80,hi80,lo95,hi95,seconds\n", file = out)
}

bounds <- function(fc, h) {
  if (is.null(fc$lower))
    return(matrix(NA_real_, h, 4))
  cbind(fc$lower[, 1], fc$upper[, 1], fc$lower[, 2], fc$upper[, 2])
}

fit_one <- function(method, y, h, limit) {
  lv <- c(80, 95)
  switch(method,
    naive = naive(y, h = h, level = lv),
    snaive = snaive(y, h = h, level = lv),
    ets = forecast(ets(y), h = h, level = lv),
    auto.arima = {
      setTimeLimit(cpu = limit, transient = TRUE)
      on.exit(setTimeLimit(cpu = Inf))
      forecast(auto.arima(y), h = h, level = lv)
    },
    thetaf = thetaf(y, h = h, level = lv),
    croston = croston(y, h = h))
}

methods_for <- function(task) {
  m <- c("naive", "ets", "thetaf")
  if (task$arima_limit > 0) m <- c(m, "auto.arima")
  if (task$period > 1) m <- c(m, "snaive")
  if (task$group == "intermittent") m <- c(m, "croston")
  m
}

series_cache <- new.env()
full_series <- function(task) {
  key <- paste(task$dir, task$id)
  if (is.null(series_cache[[key]]))
    series_cache[[key]] <- c(
      read_values(file.path(task$dir, "train", paste0(task$id, ".csv"))),
      read_values(file.path(task$dir, "test", paste0(task$id, ".csv"))))
  series_cache[[key]]
}

for (i in seq_len(nrow(tasks))) {
  task <- tasks[i, ]
  if (paste(task$id, task$origin) %in% done)
    next
  y <- ts(full_series(task)[seq_len(task$origin)], frequency = task$period)
  h <- task$horizon
  rows <- character(0)
  for (method in methods_for(task)) {
    t0 <- proc.time()
    fc <- tryCatch(suppressWarnings(fit_one(method, y, h, task$arima_limit)),
                   error = function(e) NULL)
    secs <- sum((proc.time() - t0)[c(1, 2)])
    if (is.null(fc)) {
      vals <- matrix(NA_real_, h, 5)
    } else {
      vals <- cbind(as.numeric(fc$mean), bounds(fc, h))
    }
    rows <- c(rows, sprintf("%s,%d,%s,%d,%s,%.4f", task$id, task$origin,
                            method, seq_len(h),
                            apply(vals, 1, function(r)
                              paste(ifelse(is.na(r), "NA",
                                           sprintf("%.10g", r)),
                                    collapse = ",")),
                            secs))
  }
  cat(rows, file = out, sep = "\n", append = TRUE)
  cat("\n", file = out, append = TRUE)
}
