// js-ipfs 0.66's dependencies call Promise.withResolvers, which Node 20 lacks
// (it arrived in Node 22). Preloaded with NODE_OPTIONS=--import for the test daemon only.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
