# bench/forecast_real_weekly.R: real weekly series from Debian's R packages
# that the development set (../shared/forecast-dev) does not hold, written
# in its layout (index.csv, train/, test/; the last 13 weeks are the test)
# to be scored only, never tuned on. Run once; its output is stored in
# bench/forecast-ref/weekly-real/ so the benchmark needs no R package.
#
# Sources: surveillance (r-cran-surveillance) weekly sts/disProg counts
# with a mean above 3 and under a quarter zeros, other columns than the
# development set's; modeldata (r-cran-modeldata) Chicago L ridership,
# weekly sums (Monday to Sunday, whole weeks only) of ten stations the
# development set does not use.
#
# Usage: Rscript forecast_real_weekly.R OUTDIR
suppressPackageStartupMessages({
  library(surveillance)
  library(modeldata)
})
out <- commandArgs(trailingOnly = TRUE)[1]
dir.create(file.path(out, "train"), recursive = TRUE, showWarnings = FALSE)
dir.create(file.path(out, "test"), showWarnings = FALSE)
index <- character(0)

put <- function(id, y, source) {
  y <- as.numeric(y[!is.na(y)])
  n <- length(y)
  writeLines(format(y[1:(n - 13)], scientific = FALSE, trim = TRUE),
             file.path(out, "train", paste0(id, ".csv")))
  writeLines(format(y[(n - 12):n], scientific = FALSE, trim = TRUE),
             file.path(out, "test", paste0(id, ".csv")))
  index <<- c(index, sprintf("%s,52,13,weekly,real,%s", id, source))
}

counts <- function(name) {
  e <- new.env()
  data(list = name, package = "surveillance", envir = e)
  x <- get(name, e)
  if (inherits(x, "sts")) x@observed else as.matrix(x$observed)
}

sv <- list(c("influMen", 1, "influenza"), c("momo", 1, "[0;1)"),
           c("momo", 5, "[45;65)"), c("momo", 6, "[65;75)"),
           c("momo", 8, "[85;Inf)"), c("salmHospitalized", 1, "all"),
           c("shadar", 1, "all"))
for (s in sv) {
  id <- tolower(gsub("[^A-Za-z0-9]+", "_", paste("wr", s[1], s[3])))
  id <- sub("_$", "", id)
  put(id, counts(s[1])[, as.integer(s[2])],
      sprintf("surveillance::%s[;%s] %s weekly counts", s[1], s[2], s[3]))
}

data(Chicago, package = "modeldata")
monday <- which(weekdays(Chicago$date) == "Monday")[1]
weeks <- (nrow(Chicago) - monday + 1) %/% 7
for (st in c("Clinton", "Merchandise_Mart", "Irving_Park", "Washington_Wells",
             "Harlem", "Monroe", "Polk", "Ashland", "Kedzie", "Addison")) {
  v <- Chicago[[st]][monday:(monday + 7 * weeks - 1)]
  put(paste0("wr_chicago_", tolower(st)), colSums(matrix(v, 7)),
      sprintf("modeldata::Chicago weekly sum (Mon-Sun) of %s ridership", st))
}
writeLines(c("id,period,horizon,group,kind,source", index),
           file.path(out, "index.csv"))
