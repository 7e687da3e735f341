/** The part of jStat (https://jstat.github.io) the statistics use; jStat ships no types. */
declare module 'jstat' {
  interface Dist2 { cdf(x: number, a: number): number; inv(p: number, a: number): number; pdf(x: number, a: number): number }
  export const jStat: {
    noncentralt: { cdf(x: number, dof: number, ncp: number): number };
    studentt: Dist2;
    chisquare: Dist2;
    normal: { cdf(x: number, mean: number, sd: number): number };
    binomial: { cdf(k: number, n: number, p: number): number; pdf(k: number, n: number, p: number): number };
  };
}
